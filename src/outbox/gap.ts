import type { RecordClass } from './config';
import type { GapAggregate } from './statements';
import type { GapPayload, GapReason } from './types';

/** Record ids are `<gatewayId>:<seq>`; the sequence survives restarts and never repeats. */
export function recordId(gatewayId: string, seq: number): string {
  return `${gatewayId}:${seq}`;
}

/** The sequence part of a record id, or undefined when it is not one of ours. */
export function seqOf(id: string): number | undefined {
  const i = id.lastIndexOf(':');
  if (i < 0) return undefined;
  const n = Number(id.slice(i + 1));
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export function gapFromAggregate(gatewayId: string, cls: RecordClass, reason: GapReason, a: GapAggregate, keptEvery?: number): GapPayload {
  return {
    cls,
    asset: a.asset,
    reason,
    firstId: recordId(gatewayId, a.firstSeq),
    lastId: recordId(gatewayId, a.lastSeq),
    count: a.n,
    bytes: a.b,
    firstTs: a.firstTs,
    lastTs: a.lastTs,
    ...(keptEvery !== undefined ? { keptEvery } : {}),
  };
}
