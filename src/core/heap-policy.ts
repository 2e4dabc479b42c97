import { setFlagsFromString } from 'node:v8';

/**
 * Why the gateway offers this knob (config `gateway.heapGrowthPercent`, default 0 = V8's own
 * choice): a busy OPC-UA client (10,000 monitored items) whose server sends large publish
 * responses (maxNotificationsPerPublish 0; the default, 2000, mostly avoids this) turns most of
 * them into garbage that outlives the young generation, and V8 sizes its heap from the
 * machine's memory (a 4.1 GB limit on the 24 GB development machine), where it lets that garbage
 * pile up to ~2.5x the live data before a mark-compact (bench/ingest: RSS peaks near 300 MB, live
 * data ~55 MB). A fixed 100% keeps the peak near 210 MB there but costs ~1.2x the CPU per sample
 * (marking runs far more of the time) and 20-40% more per record when the outbox drains a
 * backlog, so it is not the default. A hard cap (--max-old-space-size) also shrinks the young
 * generation: ~1.5x (docs/operations.md, "Memory").
 *
 * Sets V8's heap growth factor: after a full collection the old generation may grow by `percent`
 * of what survived before the next one (0 = V8's own choice). V8 reads it at every full
 * collection, so setting it after start takes effect at the next one; it is process-wide. Node has
 * no API for this heuristic and refuses the flag in NODE_OPTIONS, hence v8.setFlagsFromString.
 */
export function applyHeapGrowth(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growth percent must be a whole number >= 0, got ${percent}`);
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
