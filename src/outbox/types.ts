import type { RecordClass } from './config';

export type { RecordClass } from './config';

/** What a producer hands to `Outbox.append()`. */
export interface NewRecord {
  readonly cls: RecordClass;
  /** Asset id (or another stream key); part of the MQTT topic. */
  readonly asset: string;
  /** Any JSON-able value; stored as JSON text. */
  readonly payload: unknown;
  /** Time the record describes (ms since epoch); defaults to the append time. */
  readonly ts?: number;
}

/** A stored record as `lease()` returns it. `json` is the payload's JSON text, ready to splice. */
export interface OutboxRecord {
  /** `<gatewayId>:<seq>`: globally unique, the cloud deduplicates on it. */
  readonly id: string;
  readonly seq: number;
  readonly cls: RecordClass;
  readonly asset: string;
  readonly ts: number;
  /** Append time (ms since epoch). */
  readonly created: number;
  readonly json: string;
  /** Accounted size (payload + asset + row overhead). */
  readonly bytes: number;
  /** Earlier deliveries that were released without an ack. */
  readonly attempts: number;
}

/** Why records were evicted: byte cap, age limit, full disk, or the uplink's daily data budget. */
export type GapReason = 'cap' | 'ttl' | 'disk-full' | 'budget';

/** Payload of a `gap` record: what was evicted, so the cloud knows what is missing. */
export interface GapPayload {
  readonly cls: RecordClass;
  readonly asset: string;
  readonly reason: GapReason;
  /** First and last evicted id (inclusive). When thinned (`keptEvery`), survivors lie in between. */
  readonly firstId: string;
  readonly lastId: string;
  readonly count: number;
  readonly bytes: number;
  /** Record time range of the evicted records. */
  readonly firstTs: number;
  readonly lastTs: number;
  /** Set when the range was thinned rather than dropped: every k-th record of it was kept. */
  readonly keptEvery?: number;
}

export interface LeaseOptions {
  /** Only these classes (default: all, in priority order). */
  readonly classes?: readonly RecordClass[];
  /** Stop once this many accounted bytes are leased (at least one record is returned). */
  readonly maxBytes?: number;
}

/** Accounted bytes per row beyond payload and asset (row header, seq, ts, index share). */
export const ROW_OVERHEAD = 64;

/** Record bytes as the cap counts them. */
export function recordBytes(json: string, asset: string): number {
  return Buffer.byteLength(json) + Buffer.byteLength(asset) + ROW_OVERHEAD;
}
