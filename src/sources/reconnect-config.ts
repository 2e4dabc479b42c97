import { z } from 'zod';

/** Reconnect backoff of one southbound connection (exponential with full jitter, see core/Backoff). */
export const reconnectConfig = z
  .strictObject({
    initialMs: z.number().int().min(10).default(500).describe('First retry delay after a connection is lost or refused'),
    maxMs: z.number().int().min(10).default(5000).describe('Ceiling of the retry delay; keep it well under 10 s so a restarted server is back within 10 s'),
  })
  .describe('Reconnect backoff with jitter');

export type ReconnectConfig = z.infer<typeof reconnectConfig>;
export const DEFAULT_RECONNECT: ReconnectConfig = { initialMs: 500, maxMs: 5000 };
