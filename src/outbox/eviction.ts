import type { RecordClass } from './config';
import { gapFromAggregate } from './gap';
import type { Statements } from './statements';
import type { GapPayload, GapReason } from './types';

/**
 * Eviction runs inside the caller's transaction and only touches records above each class's
 * lease cursor (records at or below it are in flight or queued for a retry), so a record that is
 * being published is never reported as missing.
 */
export interface EvictionContext {
  readonly st: Statements;
  readonly gatewayId: string;
  cursor(cls: RecordClass): number;
}

export interface Evicted {
  readonly cls: RecordClass;
  readonly count: number;
  readonly bytes: number;
  /** One per asset, ready to be appended as `gap` records. */
  readonly gaps: GapPayload[];
}

export interface RoomPolicy {
  /** Classes that may be evicted, lowest priority first. */
  readonly order: readonly RecordClass[];
  /** Thin telemetry (keep every k-th) before dropping it. */
  readonly thinTelemetryKeepEvery?: number;
}

/** Evicts (lo, hi] of a class, whole or thinned to every k-th record per asset. */
export function evictRange(ctx: EvictionContext, cls: RecordClass, lo: number, hi: number, reason: GapReason, keepEvery?: number): Evicted {
  const s = ctx.st.byClass[cls];
  const aggs = keepEvery ? s.aggThin.all(lo, hi, keepEvery) : s.aggRange.all(lo, hi);
  if (aggs.length === 0) return { cls, count: 0, bytes: 0, gaps: [] };
  if (keepEvery) s.deleteThin.run(lo, hi, keepEvery);
  else s.deleteRange.run(lo, hi);
  let count = 0;
  let bytes = 0;
  for (const a of aggs) {
    count += a.n;
    bytes += a.b;
  }
  return { cls, count, bytes, gaps: aggs.map((a) => gapFromAggregate(ctx.gatewayId, cls, reason, a, keepEvery)) };
}

/** The seq up to which the oldest evictable records of a class add up to `need` bytes (or all of them). */
export function cutoffForBytes(ctx: EvictionContext, cls: RecordClass, need: number): number | undefined {
  let sum = 0;
  let cutoff: number | undefined;
  for (const r of ctx.st.byClass[cls].walk.iterate(ctx.cursor(cls))) {
    sum += r.bytes;
    cutoff = r.seq;
    if (sum >= need) break;
  }
  return cutoff;
}

/** The last seq of the leading run of evictable records created before `before`. */
export function cutoffForAge(ctx: EvictionContext, cls: RecordClass, before: number): number | undefined {
  let cutoff: number | undefined;
  for (const r of ctx.st.byClass[cls].walk.iterate(ctx.cursor(cls))) {
    if (r.created >= before) break;
    cutoff = r.seq;
  }
  return cutoff;
}

/** Frees at least `need` bytes if the policy allows: lowest class first, oldest first. */
export function makeRoom(ctx: EvictionContext, need: number, policy: RoomPolicy, reason: GapReason): Evicted[] {
  const out: Evicted[] = [];
  let freed = 0;
  for (const cls of policy.order) {
    if (freed >= need) break;
    const k = cls === 'telemetry' ? policy.thinTelemetryKeepEvery : undefined;
    if (k) {
      const cutoff = cutoffForBytes(ctx, cls, ((need - freed) * k) / (k - 1));
      if (cutoff !== undefined) {
        const r = evictRange(ctx, cls, ctx.cursor(cls), cutoff, reason, k);
        freed += r.bytes;
        if (r.count > 0) out.push(r);
      }
    }
    if (freed >= need) break;
    const cutoff = cutoffForBytes(ctx, cls, need - freed);
    if (cutoff === undefined) continue;
    const r = evictRange(ctx, cls, ctx.cursor(cls), cutoff, reason);
    freed += r.bytes;
    if (r.count > 0) out.push(r);
  }
  return out;
}
