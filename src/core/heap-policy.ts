import { setFlagsFromString } from 'node:v8';

/** OPC-UA monitored items from which `auto` sets a growth factor (below it V8's choice costs no RSS worth having). */
export const AUTO_HEAP_GROWTH_MIN_ITEMS = 1000;
/** The growth `auto` sets for a gateway subscribed to that many items or more. */
export const AUTO_HEAP_GROWTH_PERCENT = 100;

export type HeapGrowthSetting = 'auto' | number;

/**
 * The heap growth percent for a setting (config `gateway.heapGrowthPercent`) and the number of
 * OPC-UA items the gateway subscribes to; 0 = V8's own choice.
 *
 * Why a growth factor, and why only for large subscriptions: a busy OPC-UA client (10,000
 * monitored items) turns most of its decoded publish responses into garbage that outlives the
 * young generation; on a machine with plenty of RAM V8 lets it pile up to about 2.5x the live heap
 * before a mark-compact (bench/ingest: RSS peaks near 300 MB, live data ~55 MB). A factor of 100%
 * keeps the peak near 210 MB at no measurable CPU cost there. With a small heap (a Modbus gateway,
 * an outbox draining its backlog) the same factor makes V8 collect too often for nothing (the
 * uplink drain measured 20-40% more CPU per record), so `auto` leaves those to V8.
 * A hard cap (--max-old-space-size) bounds the RSS too, but V8 then also shrinks its young
 * generation: ~1.5x the CPU per sample (docs/benchmarks.md, "Ingest").
 */
export function heapGrowthPercent(setting: HeapGrowthSetting, opcuaItems: number): number {
  if (setting !== 'auto') return setting;
  return opcuaItems >= AUTO_HEAP_GROWTH_MIN_ITEMS ? AUTO_HEAP_GROWTH_PERCENT : 0;
}

/**
 * Sets V8's heap growth factor: after a full collection the old generation may grow by `percent`
 * of what survived before the next one (0 = V8's own choice). V8 reads it at every full
 * collection, so setting it after start takes effect at the next one; it is process-wide. Node has
 * no API for this heuristic and refuses the flag in NODE_OPTIONS, hence v8.setFlagsFromString.
 */
export function applyHeapGrowth(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growth percent must be a whole number >= 0, got ${percent}`);
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
