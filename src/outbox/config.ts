import { z } from 'zod';

/**
 * Record classes, highest priority first. The order is the drain order (alarms first) and the
 * reverse of the eviction order (telemetry first). `gap` records report evictions upstream.
 */
export const RECORD_CLASSES = ['alarm', 'gap', 'fl-update', 'event', 'summary', 'telemetry'] as const;
export const recordClass = z.enum(RECORD_CLASSES);
export type RecordClass = z.infer<typeof recordClass>;

const syncMode = z.enum(['FULL', 'NORMAL']);
export type SyncMode = z.infer<typeof syncMode>;

export const outboxConfig = z.strictObject({
  path: z.string().default('outbox.db').describe('SQLite file, relative to gateway.dataDir'),
  maxBytes: z.number().int().min(65536).default(512 * 1024 * 1024).describe('Cap on stored record bytes (payload + asset + 64 bytes per record); evicts per policy above it'),
  maxFileBytes: z
    .number()
    .int()
    .min(65536)
    .optional()
    .describe('Hard cap on the database file (PRAGMA max_page_count); reaching it behaves like a full disk'),
  sync: z
    .partialRecord(recordClass, syncMode)
    .default({})
    .describe('synchronous mode per class; defaults: FULL for alarm, gap, fl-update and event, NORMAL for summary and telemetry'),
  evictProtected: z.boolean().default(false).describe('Allow evicting alarms and fl-updates when full (gap records are never evicted)'),
  telemetryEviction: z.enum(['oldest', 'thin']).default('oldest').describe('When full: drop the oldest telemetry, or thin it (keep every k-th)'),
  thinKeepEvery: z.number().int().min(2).default(4).describe('When thinning telemetry, keep every k-th record'),
  evictHeadroom: z.number().min(0).max(0.5).default(0.05).describe('Evict down to (1 - headroom) x maxBytes so eviction does not run on every append'),
  ttlSeconds: z.partialRecord(recordClass, z.number().int().positive()).default({}).describe('Optional age limit per class; older records are evicted and reported as gaps'),
  blockMaxRecords: z
    .number()
    .int()
    .min(1)
    .default(500)
    .describe('Records per stored block (one block per append batch, class and asset, split above this); keep it <= uplink.batch.maxRecords so a message carries whole blocks'),
  blockMaxBytes: z.number().int().min(1024).default(128 * 1024).describe('Encoded bytes per stored block (split above this); keep it <= uplink.batch.maxBytes'),
  pageSize: z
    .union([z.literal(4096), z.literal(8192), z.literal(16384), z.literal(32768), z.literal(65536)])
    .default(4096)
    .describe(
      'SQLite page size of a NEW outbox file (an existing file keeps its own). 65536 holds a 500-record block in one page (cheaper deletes when draining, no measurable gain end to end), but every commit writes whole pages to the WAL: about 130 kB for a small append instead of 11 kB at 4096, which wears flash',
    ),
  checkOnStart: z.enum(['quick', 'full', 'none']).default('quick').describe('Integrity check at start; a corrupt file is moved aside and a new one created'),
});
export type OutboxConfig = z.infer<typeof outboxConfig>;
