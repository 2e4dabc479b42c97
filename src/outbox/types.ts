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

/**
 * A stored block as `lease()` returns it: records of one class and asset from one `append()`
 * batch. `body` holds the records already encoded for the wire, `{"id":..,"ts":..,"payload":..}`
 * joined by ",", so a message is a header plus the bodies of one or more blocks.
 */
export interface OutboxBlock {
  /** The block's key within its class: the sequence of its first record when it was appended. */
  readonly key: number;
  readonly cls: RecordClass;
  readonly asset: string;
  /** Records in the block. */
  readonly count: number;
  /** Accounted size (per record: payload + asset + row overhead). */
  readonly bytes: number;
  /** Sequence range of the records in it (ids are `<gatewayId>:<seq>`). */
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Record time range. */
  readonly firstTs: number;
  readonly lastTs: number;
  /** Append time (ms since epoch). */
  readonly created: number;
  /** Earlier deliveries that were released without an ack. */
  readonly attempts: number;
  readonly body: Buffer;
}

/** What `ack()` and `release()` need of a leased block. */
export type BlockRef = Pick<OutboxBlock, 'cls' | 'key'>;

/** One record of a block body, decoded (tests, thinning). */
export interface BodyRecord {
  readonly id: string;
  readonly ts: number;
  readonly payload: unknown;
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
  /** Stop before this many accounted bytes (at least one block is returned). */
  readonly maxBytes?: number;
}

/** Accounted bytes per record beyond payload and asset (id, ts, share of the block row). */
export const ROW_OVERHEAD = 64;

/** Record bytes as the cap counts them. */
export function recordBytes(json: string, asset: string): number {
  return Buffer.byteLength(json) + Buffer.byteLength(asset) + ROW_OVERHEAD;
}

export interface OutboxEvents {
  /** Records were committed (count); the uplink wakes on it. */
  appended: (count: number) => void;
  /** Records were evicted; a gap record describing them is already stored. */
  gap: (gap: GapPayload) => void;
  /** Something an operator must know: full disk, a corrupt file moved aside, protected records over the cap. */
  alarm: (detail: string) => void;
  /** Blocks read ahead arrived (Outbox.enableReadAhead): a lease() that came back short may get more now. */
  readable: () => void;
}
