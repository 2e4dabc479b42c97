import type Database from 'better-sqlite3';
import type { Clock } from '../core/clock';
import { RetryableError, SkipError } from '../core/errors';
import type { Logger } from '../observability/logger';
import { RECORD_CLASSES, type OutboxConfig, type RecordClass, type SyncMode } from './config';
import { BlockBuilder, insertBlocks, type NewBlock } from './blocks';
import { fragment } from './body';
import { cutoffForAge, evictRange, makeRoom, thinRange, type EvictionContext, type Evicted, type RoomPolicy } from './eviction';
import type { LeaseBook } from './leases';
import type { Statements } from './statements';
import type { Counters } from './stats';
import { ROW_OVERHEAD, recordBytes, type GapReason, type NewRecord, type OutboxEvents } from './types';

type PerClass<T> = Record<RecordClass, T>;

/** What is stored, per class, kept in memory (read from the database at start). */
export interface Tally {
  readonly count: PerClass<number>;
  readonly bytes: PerClass<number>;
  readonly blocks: PerClass<number>;
}

export interface WriterDeps {
  readonly db: Database.Database;
  readonly st: Statements;
  readonly file: string;
  readonly gatewayId: string;
  readonly config: OutboxConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly book: LeaseBook;
  readonly tally: Tally;
  readonly counters: Counters;
  /** The outbox's events, raised by the writer. */
  readonly events: OutboxEvents;
  /** Sets `synchronous` for the next transaction. */
  readonly setSync: (mode: SyncMode) => void;
  /** Stored blocks of a class above its lease cursor changed (dropped or thinned): forget what was read ahead. */
  readonly invalidate: (cls: RecordClass) => void;
  readonly nextSeq: number;
}

interface PreparedRow {
  readonly cls: RecordClass;
  readonly asset: string;
  readonly ts: number;
  readonly json: string;
  readonly bytes: number;
}

const DEFAULT_SYNC: Readonly<Record<RecordClass, SyncMode>> = { alarm: 'FULL', gap: 'FULL', 'fl-update': 'FULL', event: 'FULL', summary: 'NORMAL', telemetry: 'NORMAL' };
const PROTECTED: ReadonlySet<RecordClass> = new Set(['alarm', 'fl-update']);
/** A lowered cap (after SQLITE_FULL) is lifted again after this long without another full disk. */
const DISK_FULL_HOLD_MS = 15 * 60_000;
/** An asset is one MQTT topic level. */
const ASSET = /^[^/+#\s]{1,128}$/;

/**
 * The outbox's write side: appends as blocks (one transaction per batch, eviction and gap
 * records in the same transaction), SQLITE_FULL handling, TTL sweeps and thinning.
 */
export class BlockWriter {
  nextSeq: number;
  cap: number;
  diskFull?: { readonly detail: string; readonly at: number };
  overCap = false;
  private readonly idPrefix: string;
  /** Assets already validated, with their byte length (the same few recur in every batch). */
  private readonly assets = new Map<string, number>();
  private readonly limits: { maxRecords: number; maxBytes: number };

  constructor(private readonly d: WriterDeps) {
    this.nextSeq = d.nextSeq;
    this.cap = d.config.maxBytes;
    this.idPrefix = `${d.gatewayId}:`;
    this.limits = { maxRecords: d.config.blockMaxRecords, maxBytes: d.config.blockMaxBytes };
  }

  totalBytes(): number {
    return RECORD_CLASSES.reduce((a, c) => a + this.d.tally.bytes[c], 0);
  }

  /** Stores a batch in one transaction; returns the ids in input order once durable. */
  append(records: readonly NewRecord[]): string[] {
    if (records.length === 0) return [];
    const now = this.d.clock.now();
    const rows = records.map((r, i) => this.prepareRow(r, i, now));
    try {
      return this.write(rows, 'cap');
    } catch (e) {
      if (!isFull(e)) throw e;
      return this.appendAfterFull(rows, e);
    }
  }

  /**
   * Thins the not-yet-leased blocks of a class above `above` to every k-th record per asset (the
   * uplink's data budget); the dropped ones are reported as gap records. Returns the count
   * dropped and the last key considered. The mark "thinned up to" is kept in the meta table in
   * the same transaction, so neither a later call nor a restart thins the survivors again.
   */
  thin(cls: RecordClass, keepEvery: number, reason: GapReason, above = 0): { dropped: number; upTo: number } {
    const upTo = this.nextSeq - 1;
    const mark = thinMark(cls, reason);
    const lo = Math.max(this.d.book.cursor[cls], above, this.d.st.getMeta.get(mark)?.value ?? 0);
    if (lo >= upTo) return { dropped: 0, upTo };
    let dropped = 0;
    this.write([], reason, (ctx) => {
      const r = thinRange(ctx, cls, lo, upTo, reason, keepEvery);
      dropped = r.count;
      this.d.st.setMeta.run(mark, upTo);
      return [r];
    });
    return { dropped, upTo };
  }

  /** TTL sweep and lifting a lowered cap. */
  sweep(): void {
    const now = this.d.clock.now();
    if (this.diskFull && now - this.diskFull.at > DISK_FULL_HOLD_MS) {
      this.d.logger.info({ cap: this.d.config.maxBytes }, 'outbox: no full disk for a while, cap restored');
      this.diskFull = undefined;
      this.cap = this.d.config.maxBytes;
    }
    const ttl = this.d.config.ttlSeconds;
    const { tally, book } = this.d;
    const due = RECORD_CLASSES.filter((c) => c !== 'gap' && ttl[c] !== undefined && tally.count[c] - book.leasedRecords[c] > 0);
    if (due.length === 0) return;
    try {
      this.write([], 'ttl', (ctx) =>
        due.flatMap((cls) => {
          const cutoff = cutoffForAge(ctx, cls, now - ttl[cls]! * 1000);
          return cutoff === undefined ? [] : [evictRange(ctx, cls, ctx.cursor(cls), cutoff, 'ttl')];
        }),
      );
    } catch (e) {
      this.d.logger.error({ err: e }, 'outbox: TTL sweep failed');
    }
  }

  private prepareRow(r: NewRecord, i: number, now: number): PreparedRow {
    const fail = (why: string) => {
      this.d.counters.rejected++;
      return new SkipError(`outbox.append[${i}]`, `${why}; nothing of this batch was stored`);
    };
    if (!RECORD_CLASSES.includes(r.cls)) throw fail(`unknown record class "${String(r.cls)}"`);
    let assetBytes = this.assets.get(r.asset);
    if (assetBytes === undefined) {
      if (typeof r.asset !== 'string' || !ASSET.test(r.asset)) throw fail(`asset "${String(r.asset)}" must be 1-128 characters without "/", "+", "#" or spaces (it is a topic level)`);
      assetBytes = Buffer.byteLength(r.asset);
      if (this.assets.size < 10_000) this.assets.set(r.asset, assetBytes);
    }
    const ts = r.ts ?? now;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) throw fail(`ts ${String(ts)} is not a finite number`);
    let json: string | undefined;
    try {
      json = JSON.stringify(r.payload);
    } catch (e) {
      throw fail(`payload of ${r.cls}/${r.asset} is not JSON-able (${(e as Error).message})`);
    }
    if (json === undefined) throw fail(`payload of ${r.cls}/${r.asset} is not JSON-able (undefined)`);
    return { cls: r.cls, asset: r.asset, ts, json, bytes: Buffer.byteLength(json) + assetBytes + ROW_OVERHEAD };
  }

  /** Encodes rows into blocks with consecutive sequences from `seq`; returns the ids. */
  private build(rows: readonly PreparedRow[], seq: number, now: number, builder: BlockBuilder): string[] {
    const ids = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const id = this.idPrefix + (seq + i);
      ids[i] = id;
      builder.add(r.cls, r.asset, seq + i, r.ts, fragment(id, r.ts, r.json), r.bytes, now);
    }
    return ids;
  }

  /**
   * One transaction: evict if needed, store the blocks and the gap records, bump the sequence.
   * Memory counters change only after the commit, so a failed write leaves them true.
   */
  private write(rows: readonly PreparedRow[], reason: GapReason, evict?: (ctx: EvictionContext) => Evicted[]): string[] {
    const { st, db, tally } = this.d;
    const now = this.d.clock.now();
    const builder = new BlockBuilder(this.limits);
    const ids = this.build(rows, this.nextSeq, now, builder);
    let seq = this.nextSeq + rows.length;
    const batchBytes = rows.reduce((a, r) => a + r.bytes, 0);
    const ctx: EvictionContext = { st, gatewayId: this.d.gatewayId, cursor: (c) => this.d.book.cursor[c] };
    let evicted: Evicted[] = [];
    let gapBlocks: NewBlock[] = [];
    this.d.setSync(rows.length === 0 || rows.some((r) => this.syncOf(r.cls) === 'FULL') ? 'FULL' : 'NORMAL');
    db.transaction(() => {
      evicted = evict ? evict(ctx) : this.evictForCap(ctx, batchBytes, reason);
      const gaps = new BlockBuilder(this.limits);
      for (const ev of evicted) {
        for (const g of ev.gaps) {
          const json = JSON.stringify(g);
          gaps.add('gap', g.asset, seq, now, fragment(this.idPrefix + seq, now, json), recordBytes(json, g.asset), now);
          seq++;
        }
      }
      insertBlocks(st.byClass, builder.blocks);
      insertBlocks(st.byClass, gaps.blocks);
      gapBlocks = gaps.blocks;
      st.setMeta.run('next_seq', seq);
    }).immediate();
    this.nextSeq = seq;
    for (const b of [...builder.blocks, ...gapBlocks]) {
      tally.count[b.cls] += b.n;
      tally.bytes[b.cls] += b.bytes;
      tally.blocks[b.cls]++;
    }
    this.d.counters.appended += rows.length;
    this.applyEvictions(evicted);
    this.overCap = this.totalBytes() > this.cap;
    if (rows.length > 0) this.d.events.appended(rows.length);
    return ids;
  }

  private evictForCap(ctx: EvictionContext, batchBytes: number, reason: GapReason): Evicted[] {
    const total = this.totalBytes() + batchBytes;
    if (total <= this.cap) return [];
    const c = this.d.config;
    const target = Math.floor(this.cap * (1 - c.evictHeadroom));
    const order = (['telemetry', 'summary', 'event', 'fl-update', 'alarm'] as const).filter((k) => c.evictProtected || !PROTECTED.has(k));
    const policy: RoomPolicy = { order, thinTelemetryKeepEvery: c.telemetryEviction === 'thin' ? c.thinKeepEvery : undefined };
    return makeRoom(ctx, total - target, policy, this.diskFull ? 'disk-full' : reason);
  }

  private applyEvictions(evicted: readonly Evicted[]): void {
    const { tally, counters } = this.d;
    for (const ev of evicted) {
      if (ev.count > 0 || ev.blocks > 0) this.d.invalidate(ev.cls);
      tally.count[ev.cls] -= ev.count;
      tally.bytes[ev.cls] -= ev.bytes;
      tally.blocks[ev.cls] -= ev.blocks;
      counters.evicted += ev.count;
      counters[`evicted_${ev.cls}`] += ev.count;
      for (const g of ev.gaps) {
        counters.gapRecords++;
        this.d.logger.warn({ gap: g }, 'outbox: records evicted');
        this.d.events.gap(g);
      }
    }
  }

  /** SQLITE_FULL: raise the alarm, lower the cap below what fits, evict per policy, try once more. */
  private appendAfterFull(rows: readonly PreparedRow[], err: unknown): string[] {
    this.d.counters.diskFullEvents++;
    const stored = this.totalBytes();
    this.cap = Math.max(1, Math.floor(stored * 0.9));
    const detail = `${this.d.file}: database or disk full with ${stored} bytes stored (${(err as Error).message}); cap lowered to ${this.cap} bytes`;
    this.diskFull = { detail, at: this.d.clock.now() };
    this.d.logger.error({ file: this.d.file, stored, cap: this.cap }, 'outbox: disk full, evicting per policy');
    this.d.events.alarm(detail);
    try {
      return this.write(rows, 'disk-full');
    } catch (e) {
      if (!isFull(e)) throw e;
      throw new RetryableError(this.d.file, 'disk full and nothing more can be evicted: this batch was not stored', { cause: e });
    }
  }

  private syncOf(cls: RecordClass): SyncMode {
    return this.d.config.sync[cls] ?? DEFAULT_SYNC[cls];
  }
}

/** Meta key of the last sequence thin() has been through for a class and reason. */
export function thinMark(cls: RecordClass, reason: GapReason): string {
  return `thinned_${reason}_${cls}`;
}

function isFull(e: unknown): boolean {
  return (e as { code?: unknown }).code === 'SQLITE_FULL';
}
