import { setFlagsFromString } from 'node:v8';

/** The gateway's default (config `gateway.heapGrowthPercent`). */
export const DEFAULT_HEAP_GROWTH_PERCENT = 100;

/**
 * How far V8 lets the old generation grow past the data that survived the last full collection
 * before it collects again, in percent (0 = V8's own choice).
 *
 * Why the gateway sets it: a busy OPC-UA client (10,000 monitored items) turns most of its decoded
 * publish responses into garbage that outlives the young generation; on a machine with plenty of
 * RAM V8 lets that pile up to about 2.5x the live heap before a mark-compact (bench/ingest: RSS
 * peaks ~300 MB, live data ~55 MB). Capping the heap (--max-old-space-size) bounds it too, but V8
 * then also shrinks the young generation and collects far more often (~1.5x the CPU per sample,
 * docs/benchmarks.md). A growth factor only moves the next full collection earlier.
 *
 * V8 reads the factor at every full collection, so setting it after start takes effect at the
 * next one; it is process-wide (worker threads share it). Node offers no API for this heuristic
 * and refuses the flag in NODE_OPTIONS, hence v8.setFlagsFromString.
 */
export function applyHeapGrowth(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growth percent must be a whole number >= 0, got ${percent}`);
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
