import type Database from 'better-sqlite3';
import type { Logger } from '../observability/logger';
import { systemClock, type Clock } from '../core/clock';
import { RetryableError, SkipError } from '../core/errors';
import type { Module, ModuleHealth } from '../core/lifecycle';
import { TypedEmitter } from '../core/typed-emitter';
import { RECORD_CLASSES, type OutboxConfig, type RecordClass, type SyncMode } from './config';
import { cutoffForAge, evictRange, makeRoom, type EvictionContext, type Evicted, type RoomPolicy } from './eviction';
import { seqOf } from './gap';
import { openDatabase } from './open';
import { ASSET as ASSET_COL, ATTEMPTS, BYTES, CREATED, INSERT_CHUNK, PAYLOAD, SEQ, TS, prepareAll, type Row, type Statements } from './statements';
import { LeaseBook, perClass } from './leases';
import { ROW_OVERHEAD, recordBytes, type GapPayload, type GapReason, type LeaseOptions, type NewRecord, type OutboxRecord } from './types';
import { emptyStats, type OutboxStats } from './stats';

export interface OutboxOptions {
  /** SQLite file, or `:memory:` for unit tests. */
  readonly file: string;
  readonly gatewayId: string;
  readonly config: OutboxConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface OutboxEvents {
  /** Records were committed (count); the uplink wakes on it. */
  appended: (count: number) => void;
  /** Records were evicted; a gap record describing them is already stored. */
  gap: (gap: GapPayload) => void;
  /** Something an operator must know: full disk, a corrupt file moved aside, protected records over the cap. */
  alarm: (detail: string) => void;
}

const DEFAULT_SYNC: Readonly<Record<RecordClass, SyncMode>> = { alarm: 'FULL', gap: 'FULL', 'fl-update': 'FULL', event: 'FULL', summary: 'NORMAL', telemetry: 'NORMAL' };
const PROTECTED: ReadonlySet<RecordClass> = new Set(['alarm', 'fl-update']);
/** A lowered cap (after SQLITE_FULL) is lifted again after this long without another full disk. */
const DISK_FULL_HOLD_MS = 15 * 60_000;
const MAINTENANCE_MAX_MS = 60_000;
/** An asset is one MQTT topic level. */
const ASSET = /^[^/+#\s]{1,128}$/;

interface PreparedRow {
  readonly cls: RecordClass;
  readonly asset: string;
  readonly ts: number;
  readonly json: string;
  readonly bytes: number;
}


/**
 * SQLite store-and-forward buffer. `append()` is durable when it returns (one transaction per
 * batch); `lease()` / `ack()` / `release()` give at-least-once delivery. Leases live in memory:
 * after a crash every stored record is simply offered again (duplicates allowed, loss not).
 */
export class Outbox extends TypedEmitter<OutboxEvents> implements Module {
  readonly name = 'outbox';
  private db?: Database.Database;
  private st?: Statements;
  private nextSeq = 0;
  private readonly count = perClass(() => 0);
  private readonly bytes = perClass(() => 0);
  private readonly book = new LeaseBook();
  private readonly counters = emptyStats();
  private sync?: SyncMode;
  private cap: number;
  private diskFull?: { readonly detail: string; readonly at: number };
  private overCap = false;
  private corruptDetail?: string;
  private timer?: NodeJS.Timeout;
  private readonly clock: Clock;
  private readonly idPrefix: string;
  /** Assets already validated, with their byte length (the same few recur in every batch). */
  private readonly assets = new Map<string, number>();
  private readonly chunkParams: unknown[] = new Array<unknown>(INSERT_CHUNK * 6);

  constructor(private readonly opts: OutboxOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.cap = opts.config.maxBytes;
    this.idPrefix = `${opts.gatewayId}:`;
  }

  async start(): Promise<void> {
    if (this.db) return;
    const { file, config, logger } = this.opts;
    const opened = openDatabase(file, { check: config.checkOnStart, maxFileBytes: config.maxFileBytes });
    this.db = opened.db;
    this.st = prepareAll(opened.db);
    this.resetMemory();
    let maxSeq = 0;
    for (const cls of RECORD_CLASSES) {
      const t = this.st.byClass[cls].totals.get()!;
      this.count[cls] = t.n;
      this.bytes[cls] = t.b;
      maxSeq = Math.max(maxSeq, t.maxSeq ?? 0);
    }
    const stored = this.st.getMeta.get('next_seq')?.value;
    // A fresh file starts its sequence at now x 1000, above any earlier file's (a moved-aside
    // corrupt one included) unless that file averaged over 1M records/s or the clock went back.
    const seed = stored ?? Math.max(this.clock.now() * 1000, (opened.movedAside?.nextSeq ?? 0) + 1);
    this.nextSeq = Math.max(seed, maxSeq + 1);
    if (stored === undefined) this.st.setMeta.run('next_seq', this.nextSeq);
    if (opened.movedAside) {
      this.counters.corruptRecovered++;
      this.corruptDetail = `corrupt database moved aside to ${opened.movedAside.to} (${opened.movedAside.reason}); started a new one`;
      logger.error({ file, movedTo: opened.movedAside.to, reason: opened.movedAside.reason }, 'outbox: corrupt database moved aside');
      this.emit('alarm', `${file}: ${this.corruptDetail}`);
    }
    this.sweep();
    this.timer = setInterval(() => this.sweep(), this.maintenanceInterval());
    this.timer.unref();
    logger.info({ file, records: this.totalRecords(), bytes: this.totalBytes(), nextSeq: this.nextSeq }, 'outbox: open');
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const db = this.db;
    if (!db) return;
    const st = this.st!;
    this.db = undefined;
    this.st = undefined;
    try {
      // Rows acked out of order are still stored (see LeaseBook.purge): delete them now.
      db.transaction(() => {
        for (const cls of RECORD_CLASSES) if (this.book.acked[cls].size > 0) st.byClass[cls].removeMany.run(JSON.stringify([...this.book.acked[cls]]));
      }).immediate();
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (e) {
      this.opts.logger.warn({ err: e }, 'outbox: final clean-up at stop failed (acked records may be sent again)');
    }
    db.close();
  }

  health(): ModuleHealth {
    if (!this.db) return { healthy: false, state: 'stopped', detail: `${this.opts.file}: not open` };
    if (this.diskFull) return { healthy: false, state: 'up', detail: this.diskFull.detail };
    if (this.overCap) return { healthy: false, state: 'up', detail: `${this.opts.file}: over the ${this.cap}-byte cap with protected records only (${this.totalBytes()} bytes)` };
    return this.corruptDetail ? { healthy: true, state: 'up', detail: this.corruptDetail } : { healthy: true, state: 'up' };
  }

  stats(): OutboxStats {
    const backlog = Object.fromEntries(RECORD_CLASSES.map((c) => [`backlog_${c}`, this.count[c]])) as Pick<OutboxStats, `backlog_${RecordClass}`>;
    return { ...this.counters, ...backlog, records: this.totalRecords(), bytes: this.totalBytes(), capBytes: this.cap, leased: RECORD_CLASSES.reduce((a, c) => a + this.book.leased[c].size, 0), diskFull: this.diskFull ? 1 : 0 };
  }

  /** Stores a batch in one transaction; returns the ids in input order once durable. */
  append(records: readonly NewRecord[]): string[] {
    this.requireOpen();
    if (records.length === 0) return [];
    const now = this.clock.now();
    const rows = records.map((r, i) => this.prepareRow(r, i, now));
    try {
      return this.write(rows, 'cap');
    } catch (e) {
      if (!isFull(e)) throw e;
      return this.appendAfterFull(rows, e);
    }
  }

  /** Up to `n` records, alarms first, in sequence order within each class. */
  lease(n: number, opts: LeaseOptions = {}): OutboxRecord[] {
    const st = this.requireOpen();
    const book = this.book;
    const out: OutboxRecord[] = [];
    let bytes = 0;
    const full = () => out.length >= n || (opts.maxBytes !== undefined && bytes >= opts.maxBytes);
    for (const cls of RECORD_CLASSES) {
      if (full()) break;
      if (opts.classes && !opts.classes.includes(cls)) continue;
      if (this.count[cls] - book.leased[cls].size === 0) continue;
      const s = st.byClass[cls];
      const retry = book.retry[cls];
      while (retry.length > 0 && !full()) {
        const row = s.one.get(retry.shift()!);
        if (row) bytes += this.take(out, cls, row, true);
      }
      if (full()) break;
      // One call for the whole range (much cheaper than stepping row by row); rows past a
      // maxBytes cut are simply not taken, and the cursor stays at the last one taken.
      for (const row of s.after.all(book.cursor[cls], n - out.length)) {
        bytes += this.take(out, cls, row, false);
        if (full()) break;
      }
    }
    return out;
  }

  /** Marks delivered records done; unknown ids (already acked, evicted, or not ours) are ignored. */
  ack(ids: readonly string[]): number {
    const leased: { cls: RecordClass; seq: number }[] = [];
    const other: number[] = [];
    for (const id of ids) {
      const seq = this.ownSeq(id);
      if (seq === undefined) continue;
      const cls = this.book.classOf(seq);
      if (cls) leased.push({ cls, seq });
      else if (!this.book.isAcked(seq)) other.push(seq);
    }
    return this.ackLeased(leased, other);
  }

  /**
   * The uplink's fast path: acks records exactly as `lease()` returned them (no id parsing).
   * Records no longer leased (acked twice, or from before a restart) are handled like `ack()`.
   */
  ackLeased(records: readonly Pick<OutboxRecord, 'cls' | 'seq'>[], other: number[] = []): number {
    const st = this.requireOpen();
    const book = this.book;
    let n = 0;
    const touched = new Set<RecordClass>();
    for (const r of records) {
      if (!book.leased[r.cls].has(r.seq)) {
        if (!book.isAcked(r.seq)) other.push(r.seq);
        continue;
      }
      this.bytes[r.cls] -= book.ack(r.cls, r.seq);
      this.count[r.cls]--;
      touched.add(r.cls);
      n++;
    }
    const removed: { cls: RecordClass; bytes: number }[] = [];
    this.setSync('NORMAL'); // a lost ack only causes a re-send
    this.db!.transaction(() => {
      for (const cls of touched) {
        const below = book.purge(cls);
        if (below !== undefined) st.byClass[cls].deleteBelow.run(below);
      }
      // Records acked without a lease (after a restart): found and deleted one by one.
      for (const seq of other) {
        for (const c of RECORD_CLASSES) {
          const r = st.byClass[c].remove.get(seq);
          if (r) {
            removed.push({ cls: c, bytes: r.bytes });
            break;
          }
        }
      }
    }).immediate();
    for (const r of removed) {
      this.count[r.cls]--;
      this.bytes[r.cls] -= r.bytes;
      n++;
    }
    this.counters.acked += n;
    return n;
  }

  /** Gives leased records back (publish failed); they are offered again first, in order. */
  release(ids: readonly string[]): number {
    const st = this.requireOpen();
    const back: { cls: RecordClass; seq: number }[] = [];
    for (const id of ids) {
      const seq = this.ownSeq(id);
      const cls = seq === undefined ? undefined : this.book.classOf(seq);
      if (cls && seq !== undefined) back.push({ cls, seq });
    }
    if (back.length === 0) return 0;
    this.setSync('NORMAL');
    this.db!.transaction(() => {
      for (const b of back) st.byClass[b.cls].bumpAttempts.run(b.seq);
    }).immediate();
    for (const b of back) this.book.release(b.cls, b.seq);
    this.counters.released += back.length;
    return back.length;
  }

  /** Records of a class not leased right now, and the append time of the oldest of them. */
  pending(cls: RecordClass): { count: number; oldestCreated?: number } {
    const st = this.requireOpen();
    const count = this.count[cls] - this.book.leased[cls].size;
    if (count === 0) return { count };
    const retry = this.book.retry[cls];
    const row = retry.length > 0 ? st.byClass[cls].one.get(retry[0]!) : st.byClass[cls].after.get(this.book.cursor[cls], 1);
    return row ? { count, oldestCreated: row[CREATED] } : { count };
  }

  /**
   * Thins the not-yet-leased records of a class above `above` to every k-th per asset (the
   * uplink's data budget); the dropped ones are reported as gap records. Returns the count
   * dropped and the last seq considered, so a caller does not thin the same range twice.
   */
  thin(cls: RecordClass, keepEvery: number, reason: GapReason, above = 0): { dropped: number; upTo: number } {
    this.requireOpen();
    const upTo = this.nextSeq - 1;
    const lo = Math.max(this.book.cursor[cls], above);
    if (lo >= upTo) return { dropped: 0, upTo };
    let dropped = 0;
    this.write([], reason, (ctx) => {
      const r = evictRange(ctx, cls, lo, upTo, reason, keepEvery);
      dropped = r.count;
      return [r];
    });
    return { dropped, upTo };
  }

  /** The connection's synchronous mode right now (what the last write used). */
  synchronous(): SyncMode | 'OFF' | 'EXTRA' {
    const v = this.db?.pragma('synchronous', { simple: true });
    return (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[v as number] ?? 'OFF';
  }

  totalRecords(): number {
    return RECORD_CLASSES.reduce((a, c) => a + this.count[c], 0);
  }

  totalBytes(): number {
    return RECORD_CLASSES.reduce((a, c) => a + this.bytes[c], 0);
  }

  private prepareRow(r: NewRecord, i: number, now: number): PreparedRow {
    const fail = (why: string) => {
      this.counters.rejected++;
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
    if (!Number.isFinite(ts)) throw fail(`ts ${String(ts)} is not a finite number`);
    let json: string | undefined;
    try {
      json = JSON.stringify(r.payload);
    } catch (e) {
      throw fail(`payload of ${r.cls}/${r.asset} is not JSON-able (${(e as Error).message})`);
    }
    if (json === undefined) throw fail(`payload of ${r.cls}/${r.asset} is not JSON-able (undefined)`);
    return { cls: r.cls, asset: r.asset, ts, json, bytes: Buffer.byteLength(json) + assetBytes + ROW_OVERHEAD };
  }

  /**
   * One transaction: evict if needed, store the gap records, store the rows, bump the sequence.
   * Memory counters change only after the commit, so a failed write leaves them true.
   */
  private write(rows: readonly PreparedRow[], reason: GapReason, evict?: (ctx: EvictionContext) => Evicted[]): string[] {
    const st = this.st!;
    const now = this.clock.now();
    const batchBytes = rows.reduce((a, r) => a + r.bytes, 0);
    const ctx: EvictionContext = { st, gatewayId: this.opts.gatewayId, cursor: (c) => this.book.cursor[c] };
    let seq = this.nextSeq;
    let evicted: Evicted[] = [];
    const ids: string[] = [];
    this.setSync(rows.length === 0 || rows.some((r) => this.syncOf(r.cls) === 'FULL') ? 'FULL' : 'NORMAL');
    this.db!.transaction(() => {
      evicted = evict ? evict(ctx) : this.evictForCap(ctx, batchBytes, reason);
      for (const ev of evicted) {
        for (const g of ev.gaps) {
          const json = JSON.stringify(g);
          st.byClass.gap.insert.run(seq++, g.asset, now, now, json, recordBytes(json, g.asset));
        }
      }
      for (let k = 0; k < rows.length; k++) ids.push(this.idPrefix + (seq + k));
      seq = this.insertRows(rows, seq, now);
      st.setMeta.run('next_seq', seq);
    }).immediate();
    this.nextSeq = seq;
    for (const r of rows) {
      this.count[r.cls]++;
      this.bytes[r.cls] += r.bytes;
    }
    this.counters.appended += rows.length;
    this.applyEvictions(evicted);
    this.overCap = this.totalBytes() > this.cap;
    if (rows.length > 0) this.emit('appended', rows.length);
    return ids;
  }

  /** Inserts rows with consecutive seqs; runs of one class go INSERT_CHUNK rows per statement. */
  private insertRows(rows: readonly PreparedRow[], seq: number, now: number): number {
    const st = this.st!;
    const params = this.chunkParams;
    let i = 0;
    while (i < rows.length) {
      const cls = rows[i]!.cls;
      let end = i + 1;
      while (end < rows.length && rows[end]!.cls === cls) end++;
      const s = st.byClass[cls];
      for (; i + INSERT_CHUNK <= end; i += INSERT_CHUNK) {
        for (let k = 0; k < INSERT_CHUNK; k++) {
          const r = rows[i + k]!;
          const o = k * 6;
          params[o] = seq++;
          params[o + 1] = r.asset;
          params[o + 2] = r.ts;
          params[o + 3] = now;
          params[o + 4] = r.json;
          params[o + 5] = r.bytes;
        }
        s.insertChunk.run(params);
      }
      for (; i < end; i++) {
        const r = rows[i]!;
        s.insert.run(seq++, r.asset, r.ts, now, r.json, r.bytes);
      }
    }
    return seq;
  }

  private evictForCap(ctx: EvictionContext, batchBytes: number, reason: GapReason): Evicted[] {
    const total = this.totalBytes() + batchBytes;
    if (total <= this.cap) return [];
    const target = Math.floor(this.cap * (1 - this.opts.config.evictHeadroom));
    const c = this.opts.config;
    const order = (['telemetry', 'summary', 'event', 'fl-update', 'alarm'] as const).filter((k) => c.evictProtected || !PROTECTED.has(k));
    const policy: RoomPolicy = { order, thinTelemetryKeepEvery: c.telemetryEviction === 'thin' ? c.thinKeepEvery : undefined };
    return makeRoom(ctx, total - target, policy, this.diskFull ? 'disk-full' : reason);
  }

  private applyEvictions(evicted: readonly Evicted[]): void {
    for (const ev of evicted) {
      this.count[ev.cls] -= ev.count;
      this.bytes[ev.cls] -= ev.bytes;
      this.counters.evicted += ev.count;
      this.counters[`evicted_${ev.cls}`] += ev.count;
      for (const g of ev.gaps) {
        const json = JSON.stringify(g);
        this.count.gap++;
        this.bytes.gap += recordBytes(json, g.asset);
        this.counters.gapRecords++;
        this.opts.logger.warn({ gap: g }, 'outbox: records evicted');
        this.emit('gap', g);
      }
    }
  }

  /** SQLITE_FULL: raise the alarm, lower the cap below what fits, evict per policy, try once more. */
  private appendAfterFull(rows: readonly PreparedRow[], err: unknown): string[] {
    this.counters.diskFullEvents++;
    const stored = this.totalBytes();
    this.cap = Math.max(1, Math.floor(stored * 0.9));
    const detail = `${this.opts.file}: database or disk full with ${stored} bytes stored (${(err as Error).message}); cap lowered to ${this.cap} bytes`;
    this.diskFull = { detail, at: this.clock.now() };
    this.opts.logger.error({ file: this.opts.file, stored, cap: this.cap }, 'outbox: disk full, evicting per policy');
    this.emit('alarm', detail);
    try {
      return this.write(rows, 'disk-full');
    } catch (e) {
      if (!isFull(e)) throw e;
      throw new RetryableError(this.opts.file, 'disk full and nothing more can be evicted: this batch was not stored', { cause: e });
    }
  }

  /** TTL sweep and lifting a lowered cap; runs at start and on a timer (public for tests and ops). */
  sweep(): void {
    if (!this.db) return;
    const now = this.clock.now();
    if (this.diskFull && now - this.diskFull.at > DISK_FULL_HOLD_MS) {
      this.opts.logger.info({ cap: this.opts.config.maxBytes }, 'outbox: no full disk for a while, cap restored');
      this.diskFull = undefined;
      this.cap = this.opts.config.maxBytes;
    }
    const ttl = this.opts.config.ttlSeconds;
    const due = RECORD_CLASSES.filter((c) => c !== 'gap' && ttl[c] !== undefined && this.count[c] - this.book.leased[c].size > 0);
    if (due.length === 0) return;
    try {
      this.write([], 'ttl', (ctx) =>
        due.flatMap((cls) => {
          const cutoff = cutoffForAge(ctx, cls, now - ttl[cls]! * 1000);
          return cutoff === undefined ? [] : [evictRange(ctx, cls, ctx.cursor(cls), cutoff, 'ttl')];
        }),
      );
    } catch (e) {
      this.opts.logger.error({ err: e }, 'outbox: TTL sweep failed');
    }
  }

  private maintenanceInterval(): number {
    const ttls = Object.values(this.opts.config.ttlSeconds).filter((v): v is number => v !== undefined);
    const shortest = ttls.length > 0 ? Math.min(...ttls) * 100 : MAINTENANCE_MAX_MS;
    return Math.max(1000, Math.min(MAINTENANCE_MAX_MS, shortest));
  }

  private take(out: OutboxRecord[], cls: RecordClass, row: Row, fromRetry: boolean): number {
    const seq = row[SEQ];
    const bytes = row[BYTES];
    this.book.take(cls, seq, bytes, fromRetry);
    out.push({ id: this.idPrefix + seq, seq, cls, asset: row[ASSET_COL], ts: row[TS], created: row[CREATED], json: row[PAYLOAD], bytes, attempts: row[ATTEMPTS] });
    return bytes;
  }

  private syncOf(cls: RecordClass): SyncMode {
    return this.opts.config.sync[cls] ?? DEFAULT_SYNC[cls];
  }

  private setSync(mode: SyncMode): void {
    if (this.sync === mode) return;
    // Not a prepared statement: a re-run prepared PRAGMA does not reliably apply again.
    this.db!.pragma(`synchronous = ${mode}`);
    this.sync = mode;
  }

  private ownSeq(id: string): number | undefined {
    return id.startsWith(this.idPrefix) ? seqOf(id) : undefined;
  }

  private resetMemory(): void {
    this.book.reset();
    this.sync = undefined;
    this.cap = this.opts.config.maxBytes;
    this.diskFull = undefined;
  }

  private requireOpen(): Statements {
    if (!this.st) throw new RetryableError(this.opts.file, 'outbox is not open (start() it first)');
    return this.st;
  }
}

function isFull(e: unknown): boolean {
  return (e as { code?: unknown }).code === 'SQLITE_FULL';
}
