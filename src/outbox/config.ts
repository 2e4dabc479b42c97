import { z } from 'zod';

export const recordClass = z.enum(['alarm', 'event', 'summary', 'telemetry', 'fl-update', 'gap']);
export type RecordClass = z.infer<typeof recordClass>;

export const outboxConfig = z.strictObject({
  path: z.string().default('outbox.db').describe('SQLite file, relative to gateway.dataDir'),
  maxBytes: z.number().int().min(65536).default(512 * 1024 * 1024).describe('Cap on stored payload bytes'),
  telemetrySync: z.enum(['FULL', 'NORMAL']).default('NORMAL').describe('synchronous mode for telemetry/summary appends'),
  evictProtected: z.boolean().default(false).describe('Allow evicting alarms and fl-updates when full'),
  thinKeepEvery: z.number().int().min(1).default(4).describe('When thinning telemetry, keep every k-th record'),
  ttlSeconds: z.partialRecord(recordClass, z.number().int().positive()).default({}),
});
export type OutboxConfig = z.infer<typeof outboxConfig>;
