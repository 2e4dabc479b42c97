import type { RecordClass } from './config';
import { decodeBody, encodeBody } from './body';
import { gapFromAggregate, seqOf } from './gap';
import { ASSET, BODY, KEY, type GapAggregate, type Statements } from './statements';
import { recordBytes, type BodyRecord, type GapPayload, type GapReason } from './types';

/**
 * Eviction runs inside the caller's transaction and only touches blocks above each class's
 * lease cursor (blocks at or below it are in flight or queued for a retry), so a record that is
 * being published is never reported as missing. Whole blocks are dropped, oldest first; thinning
 * re-encodes the blocks it touches (rare).
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
  /** Blocks removed entirely. */
  readonly blocks: number;
  /** One per asset, ready to be appended as `gap` records. */
  readonly gaps: GapPayload[];
}

export interface RoomPolicy {
  /** Classes that may be evicted, lowest priority first. */
  readonly order: readonly RecordClass[];
  /** Thin telemetry (keep every k-th) before dropping it. */
  readonly thinTelemetryKeepEvery?: number;
}

const NONE = (cls: RecordClass): Evicted => ({ cls, count: 0, bytes: 0, blocks: 0, gaps: [] });

/** Drops the blocks of (lo, hi] of a class. */
export function evictRange(ctx: EvictionContext, cls: RecordClass, lo: number, hi: number, reason: GapReason): Evicted {
  const s = ctx.st.byClass[cls];
  const aggs = s.aggRange.all(lo, hi);
  if (aggs.length === 0) return NONE(cls);
  s.deleteRange.run(lo, hi);
  let count = 0;
  let bytes = 0;
  let blocks = 0;
  for (const a of aggs) {
    count += a.n;
    bytes += a.b;
    blocks += a.blocks;
  }
  return { cls, count, bytes, blocks, gaps: aggs.map((a) => gapFromAggregate(ctx.gatewayId, cls, reason, a)) };
}

const THIN_CHUNK = 64;

/**
 * Thins the blocks of (lo, hi] to every k-th record per asset (records 1, k+1, 2k+1, ... of each
 * asset over the whole range); one gap record per asset describes what was dropped.
 */
export function thinRange(ctx: EvictionContext, cls: RecordClass, lo: number, hi: number, reason: GapReason, k: number): Evicted {
  const s = ctx.st.byClass[cls];
  const index = new Map<string, number>();
  const dropped = new Map<string, GapAggregate>();
  let count = 0;
  let bytes = 0;
  let blocks = 0;
  let after = lo;
  for (;;) {
    const rows = s.range.all(after, hi, THIN_CHUNK);
    if (rows.length === 0) break;
    for (const row of rows) {
      after = row[KEY];
      const asset = row[ASSET];
      let i = index.get(asset) ?? 0;
      const kept: BodyRecord[] = [];
      let keptBytes = 0;
      for (const r of decodeBody(row[BODY])) {
        const b = recordBytes(JSON.stringify(r.payload), asset);
        if (i++ % k === 0) {
          kept.push(r);
          keptBytes += b;
          continue;
        }
        count++;
        bytes += b;
        addDropped(dropped, asset, seqOf(r.id) ?? 0, r.ts, b);
      }
      index.set(asset, i);
      if (kept.length === row[2]) continue;
      if (kept.length === 0) {
        s.remove.get(row[KEY]);
        blocks++;
        continue;
      }
      const seqs = kept.map((r) => seqOf(r.id) ?? 0);
      const tss = kept.map((r) => r.ts);
      s.update.run(kept.length, keptBytes, seqs[0]!, seqs[seqs.length - 1]!, Math.min(...tss), Math.max(...tss), Buffer.from(encodeBody(kept)), row[KEY]);
    }
  }
  const gaps = [...dropped.values()].map((a) => gapFromAggregate(ctx.gatewayId, cls, reason, a, k));
  return { cls, count, bytes, blocks, gaps };
}

function addDropped(m: Map<string, GapAggregate>, asset: string, seq: number, ts: number, b: number): void {
  const a = m.get(asset);
  if (!a) {
    m.set(asset, { asset, n: 1, b, firstSeq: seq, lastSeq: seq, firstTs: ts, lastTs: ts });
    return;
  }
  a.n++;
  a.b += b;
  a.lastSeq = seq;
  a.firstTs = Math.min(a.firstTs, ts);
  a.lastTs = Math.max(a.lastTs, ts);
}

/** The key up to which the oldest evictable blocks of a class add up to `need` bytes (or all of them). */
function cutoffForBytes(ctx: EvictionContext, cls: RecordClass, need: number): number | undefined {
  let sum = 0;
  let cutoff: number | undefined;
  for (const r of ctx.st.byClass[cls].walk.iterate(ctx.cursor(cls))) {
    sum += r.bytes;
    cutoff = r.key;
    if (sum >= need) break;
  }
  return cutoff;
}

/** The last key of the leading run of evictable blocks appended before `before`. */
export function cutoffForAge(ctx: EvictionContext, cls: RecordClass, before: number): number | undefined {
  let cutoff: number | undefined;
  for (const r of ctx.st.byClass[cls].walk.iterate(ctx.cursor(cls))) {
    if (r.created >= before) break;
    cutoff = r.key;
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
        const r = thinRange(ctx, cls, ctx.cursor(cls), cutoff, reason, k);
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
