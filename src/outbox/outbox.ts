import type Database from 'better-sqlite3';
import type { Logger } from '../observability/logger';
import { systemClock, type Clock } from '../core/clock';
import { RetryableError, errorMessage } from '../core/errors';
import type { Module, ModuleHealth } from '../core/lifecycle';
import { TypedEmitter } from '../core/typed-emitter';
import { RECORD_CLASSES, type OutboxConfig, type RecordClass, type SyncMode } from './config';
import { openDatabase } from './open';
import { AckPurger } from './ack-purger';
import { ASSET, ATTEMPTS, BODY, BYTES, CREATED, FIRST_SEQ, FIRST_TS, KEY, LAST_SEQ, LAST_TS, N, prepareAll, type BlockRow, type Statements } from './statements';
import { LeaseBook, perClass } from './leases';
import { ReadAhead, type ReadAheadStats } from './read-ahead';
import { BlockWriter, type Tally } from './writer';
import type { BlockRef, GapReason, LeaseOptions, NewRecord, OutboxBlock, OutboxEvents } from './types';
import { emptyStats, type OutboxStats } from './stats';

export type { OutboxEvents } from './types';

export interface OutboxOptions {
  /** SQLite file, or `:memory:` for unit tests. */
  readonly file: string;
  readonly gatewayId: string;
  readonly config: OutboxConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
}

const MAINTENANCE_MAX_MS = 60_000;
/** Block sizes looked at per query when leasing. */
const LEASE_PEEK = 16;

/** Accepts a block of n records and b bytes into a lease, or refuses it (the lease is full). */
type Fits = (n: number, b: number) => boolean;
/** Puts a stored block into the lease being built. */
type TakeRow = (cls: RecordClass, row: BlockRow, fromRetry: boolean) => void;

/**
 * SQLite store-and-forward buffer of record blocks. `append()` is durable when it returns (one
 * transaction per batch, one row per class and asset of it); `lease()` / `ack()` / `release()`
 * work on blocks and give at-least-once delivery. Leases live in memory: after a crash every
 * stored block is simply offered again (duplicates allowed, loss not).
 */
export class Outbox extends TypedEmitter<OutboxEvents> implements Module {
  readonly name = 'outbox';
  private db?: Database.Database;
  private st?: Statements;
  private writer?: BlockWriter;
  private acks?: AckPurger;
  private readonly tally: Tally = { count: perClass(() => 0), bytes: perClass(() => 0), blocks: perClass(() => 0) };
  private readonly book = new LeaseBook();
  private readonly counters = emptyStats();
  private sync?: SyncMode;
  private corruptDetail?: string;
  private timer?: NodeJS.Timeout;
  private readonly clock: Clock;
  private readAhead?: ReadAhead;
  private wantReadAhead = false;
  private readonly readAheadCounters: ReadAheadStats = { readAheadBlocks: 0, readAheadDropped: 0, readAheadFailed: 0, readAheadWaits: 0, purgeErrors: 0 };
  private readonly events: OutboxEvents = {
    appended: (n) => {
      this.readAhead?.appended();
      this.emit('appended', n);
    },
    gap: (g) => this.emit('gap', g),
    alarm: (d) => this.emit('alarm', d),
    readable: () => this.emit('readable'),
  };

  constructor(private readonly opts: OutboxOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
  }

  async start(): Promise<void> {
    if (this.db) return;
    const { file, config, logger, gatewayId } = this.opts;
    const opened = openDatabase(file, { check: config.checkOnStart, maxFileBytes: config.maxFileBytes, pageSize: config.pageSize, gatewayId });
    const db = opened.db;
    const st = prepareAll(db);
    this.db = db;
    this.st = st;
    this.book.reset();
    this.sync = undefined;
    let maxSeq = 0;
    for (const cls of RECORD_CLASSES) {
      const t = st.byClass[cls].totals.get()!;
      this.tally.count[cls] = t.n;
      this.tally.bytes[cls] = t.b;
      this.tally.blocks[cls] = t.blocks;
      maxSeq = Math.max(maxSeq, t.maxSeq ?? 0);
    }
    const stored = st.getMeta.get('next_seq')?.value;
    // A fresh file starts its sequence at now x 1000, above any earlier file's (a moved-aside
    // corrupt one included) unless that file averaged over 1M records/s or the clock went back.
    const seed = stored ?? Math.max(this.clock.now() * 1000, (opened.movedAside?.nextSeq ?? 0) + 1);
    const nextSeq = Math.max(seed, maxSeq + 1);
    if (stored === undefined) st.setMeta.run('next_seq', nextSeq);
    const { tally, book, counters, clock } = this;
    const invalidate = (cls: RecordClass) => this.readAhead?.invalidate(cls);
    this.writer = new BlockWriter({ db, st, file, gatewayId, config, clock, logger, book, tally, counters, events: this.events, setSync: (m) => this.setSync(m), invalidate, nextSeq });
    this.acks = new AckPurger({ db, st, logger, book, tally, counters, setSync: (m) => this.setSync(m), readAhead: () => this.readAhead });
    if (opened.movedAside) {
      this.counters.corruptRecovered++;
      this.corruptDetail = `corrupt database moved aside to ${opened.movedAside.to} (${opened.movedAside.reason}); started a new one`;
      logger.error({ file, movedTo: opened.movedAside.to, reason: opened.movedAside.reason }, 'outbox: corrupt database moved aside');
      this.emit('alarm', `${file}: ${this.corruptDetail}`);
    }
    this.sweep();
    if (this.wantReadAhead) this.startReadAhead();
    this.timer = setInterval(() => this.sweep(), this.maintenanceInterval());
    this.timer.unref();
    logger.info({ file, records: this.totalRecords(), bytes: this.totalBytes(), nextSeq }, 'outbox: open');
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const db = this.db;
    if (!db) return;
    const acks = this.acks!;
    const ra = this.readAhead;
    this.readAhead = undefined;
    await ra?.close();
    try {
      this.flushAcks();
    } catch (e) {
      this.opts.logger.warn({ err: e }, 'outbox: deleting acked blocks at stop failed (they may be sent again)');
    }
    this.db = undefined;
    this.st = undefined;
    this.writer = undefined;
    this.acks = undefined;
    try {
      acks.deleteAcked();
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (e) {
      this.opts.logger.warn({ err: e }, 'outbox: final clean-up at stop failed (acked records may be sent again)');
    }
    db.close();
  }

  health(): ModuleHealth {
    const w = this.writer;
    if (!w) return { healthy: false, state: 'stopped', detail: `${this.opts.file}: not open` };
    if (w.diskFull) return { healthy: false, state: 'up', detail: w.diskFull.detail };
    if (w.overCap) return { healthy: false, state: 'up', detail: `${this.opts.file}: over the ${w.cap}-byte cap with protected records only (${this.totalBytes()} bytes)` };
    return this.corruptDetail ? { healthy: true, state: 'up', detail: this.corruptDetail } : { healthy: true, state: 'up' };
  }

  stats(): OutboxStats {
    const backlog = Object.fromEntries(RECORD_CLASSES.map((c) => [`backlog_${c}`, this.tally.count[c]])) as Pick<OutboxStats, `backlog_${RecordClass}`>;
    const sum = (f: (c: RecordClass) => number) => RECORD_CLASSES.reduce((a, c) => a + f(c), 0);
    return {
      ...this.counters,
      ...backlog,
      records: this.totalRecords(),
      bytes: this.totalBytes(),
      blocks: sum((c) => this.tally.blocks[c]),
      capBytes: this.writer?.cap ?? this.opts.config.maxBytes,
      leased: sum((c) => this.book.leasedRecords[c]),
      leasedBlocks: sum((c) => this.book.leased[c].size),
      diskFull: this.writer?.diskFull ? 1 : 0,
      readAhead: this.readAhead?.active ? 1 : 0,
      ...this.readAheadCounters,
    };
  }

  /**
   * Reads blocks ahead of `lease()` on a worker thread (see ReadAhead), from now on and after
   * every start(). Then `lease()` may come back short while a read is on its way: listen to
   * `readable` and lease again. Returns false where it cannot work (`:memory:`).
   */
  enableReadAhead(): boolean {
    if (this.opts.file === ':memory:') return false;
    this.wantReadAhead = true;
    if (this.db && !this.readAhead) this.startReadAhead();
    return true;
  }

  /** Stores a batch in one transaction; returns the ids in input order once durable. */
  append(records: readonly NewRecord[]): string[] {
    return this.requireWriter().append(records);
  }

  /**
   * Blocks holding up to `maxRecords` records (a first block may hold more), alarms first, in
   * key order within each class; released blocks come back first. With read-ahead, blocks come
   * from its queues; when a class's next blocks are still being read, it stops there (classes
   * below it wait too, so alarms stay first) and `readable` follows.
   */
  lease(maxRecords: number, opts: LeaseOptions = {}): OutboxBlock[] {
    const st = this.requireOpen();
    const book = this.book;
    const out: OutboxBlock[] = [];
    let records = 0;
    let bytes = 0;
    let blocks = 0;
    // Sizes are read first (no body), so a block that does not fit is never read. Counted as
    // accepted, not as taken: a peek accepts several blocks before any is taken.
    const fits: Fits = (n, b) => {
      if (blocks++ > 0 && (records + n > maxRecords || (opts.maxBytes !== undefined && bytes + b > opts.maxBytes))) return false;
      records += n;
      bytes += b;
      return true;
    };
    const take: TakeRow = (cls, row, fromRetry) => {
      book.take(cls, row[KEY], row[N], row[BYTES], fromRetry);
      out.push(toBlock(cls, row));
    };
    const ra = this.readAhead?.active ? this.readAhead : undefined;
    for (const cls of RECORD_CLASSES) {
      if (opts.classes && !opts.classes.includes(cls)) continue;
      if (this.pendingCount(cls) === 0) continue;
      const s = st.byClass[cls];
      const retry = book.retry[cls];
      while (retry.length > 0) {
        const size = s.sizeOf.get(retry[0]!);
        if (size && !fits(size[1], size[2])) return out;
        retry.shift();
        const row = size && s.one.get(size[0]);
        if (row) take(cls, row, true);
      }
      const full = ra ? this.leaseAhead(ra, cls, fits, take, out) : this.leaseStored(cls, fits, take);
      ra?.refill(cls, this.pendingCount(cls));
      if (full) return out;
    }
    return out;
  }

  /** Leases a class's blocks above the cursor from the database; true when one did not fit. */
  private leaseStored(cls: RecordClass, fits: Fits, take: TakeRow): boolean {
    const s = this.st!.byClass[cls];
    const cursor = this.book.cursor;
    for (;;) {
      const sizes = s.sizesAfter.all(cursor[cls], LEASE_PEEK);
      let m = 0;
      while (m < sizes.length && fits(sizes[m]![1], sizes[m]![2])) m++;
      if (m > 0) for (const row of s.after.all(cursor[cls], m)) take(cls, row, false);
      if (m < sizes.length) return true;
      if (sizes.length < LEASE_PEEK) return false;
    }
  }

  /**
   * Leases a class's blocks above the cursor from the read-ahead queue; true when one did not
   * fit or the next ones are still being read. With nothing queued and no read on its way (the
   * tail of a backlog, a first lease), reads them here as without read-ahead.
   */
  private leaseAhead(ra: ReadAhead, cls: RecordClass, fits: Fits, take: TakeRow, out: OutboxBlock[]): boolean {
    for (let b = ra.peek(cls); b; b = ra.peek(cls)) {
      if (!fits(b.count, b.bytes)) return true;
      ra.shift(cls);
      this.book.take(cls, b.key, b.count, b.bytes, false);
      out.push(b);
    }
    if (this.pendingCount(cls) === 0) return false;
    if (ra.waiting(cls)) {
      this.readAheadCounters.readAheadWaits++;
      return true;
    }
    return this.leaseStored(cls, fits, take);
  }

  /** Marks delivered blocks done; returns the records acked. Rows are deleted later, batched: see AckPurger.ack. */
  ack(blocks: readonly BlockRef[], meta?: Readonly<Record<string, number>>): number {
    this.requireOpen();
    return this.acks!.ack(blocks, meta);
  }

  /** Deletes acked blocks (and `other`, not leased) and writes pending meta, in one transaction; returns `other`'s records. */
  flushAcks(other: readonly BlockRef[] = []): number {
    return this.acks?.flush(other) ?? 0;
  }

  /** Gives leased blocks back (publish failed); they are offered again first, in order. Returns records. */
  release(blocks: readonly BlockRef[]): number {
    const st = this.requireOpen();
    const back = blocks.filter((b) => this.book.isLeased(b.cls, b.key));
    if (back.length === 0) return 0;
    // The attempts count is bookkeeping: if it cannot be written (a full disk, a locked file),
    // the blocks are released all the same, or they would stay leased until a restart.
    try {
      this.setSync('NORMAL');
      this.db!.transaction(() => {
        for (const b of back) st.byClass[b.cls].bumpAttempts.run(b.key);
      }).immediate();
    } catch (e) {
      this.counters.attemptsNotCounted += back.length;
      this.opts.logger.warn({ file: this.opts.file, blocks: back.length, err: errorMessage(e) }, 'outbox: counting the attempts of released blocks failed; released all the same');
    }
    let n = 0;
    for (const b of back) {
      n += this.book.leased[b.cls].get(b.key)!.n;
      this.book.release(b.cls, b.key);
    }
    this.counters.released += n;
    return n;
  }

  /** Records of a class not leased right now. */
  pendingCount(cls: RecordClass): number {
    return this.tally.count[cls] - this.book.leasedRecords[cls];
  }

  /** Append time of the oldest block of a class not leased right now. */
  oldestPending(cls: RecordClass): number | undefined {
    const s = this.requireOpen().byClass[cls];
    if (this.pendingCount(cls) === 0) return undefined;
    const retry = this.book.retry[cls];
    if (retry.length > 0) return s.createdOf.get(retry[0]!);
    return this.readAhead?.peek(cls)?.created ?? s.firstCreated.get(this.book.cursor[cls]);
  }

  /** See BlockWriter.thin: the uplink's data budget. */
  thin(cls: RecordClass, keepEvery: number, reason: GapReason, above = 0): { dropped: number; upTo: number } {
    return this.requireWriter().thin(cls, keepEvery, reason, above);
  }

  /** TTL sweep and lifting a lowered cap; runs at start and on a timer (public for tests and ops). */
  sweep(): void {
    this.writer?.sweep();
  }

  /** A number kept in the database's meta table (undefined when never set). */
  meta(key: string): number | undefined {
    return this.requireOpen().getMeta.get(key)?.value;
  }

  /** The connection's synchronous mode right now (what the last write used). */
  synchronous(): SyncMode | 'OFF' | 'EXTRA' {
    const v = this.db?.pragma('synchronous', { simple: true });
    return (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[v as number] ?? 'OFF';
  }

  totalRecords(): number {
    return RECORD_CLASSES.reduce((a, c) => a + this.tally.count[c], 0);
  }

  totalBytes(): number {
    return RECORD_CLASSES.reduce((a, c) => a + this.tally.bytes[c], 0);
  }

  private startReadAhead(): void {
    this.readAhead = new ReadAhead({ file: this.opts.file, logger: this.opts.logger, cursor: (c) => this.book.cursor[c], counters: this.readAheadCounters, onReadable: () => this.events.readable() });
  }

  private maintenanceInterval(): number {
    const ttls = Object.values(this.opts.config.ttlSeconds).filter((v): v is number => v !== undefined);
    const shortest = ttls.length > 0 ? Math.min(...ttls) * 100 : MAINTENANCE_MAX_MS;
    return Math.max(1000, Math.min(MAINTENANCE_MAX_MS, shortest));
  }

  private setSync(mode: SyncMode): void {
    if (this.sync === mode) return;
    // Not a prepared statement: a re-run prepared PRAGMA does not reliably apply again.
    this.db!.pragma(`synchronous = ${mode}`);
    this.sync = mode;
  }

  private requireOpen(): Statements {
    if (!this.st) throw new RetryableError(this.opts.file, 'outbox is not open (start() it first)');
    return this.st;
  }

  private requireWriter(): BlockWriter {
    this.requireOpen();
    return this.writer!;
  }
}

function toBlock(cls: RecordClass, r: BlockRow): OutboxBlock {
  return { key: r[KEY], cls, asset: r[ASSET], count: r[N], bytes: r[BYTES], firstSeq: r[FIRST_SEQ], lastSeq: r[LAST_SEQ], firstTs: r[FIRST_TS], lastTs: r[LAST_TS], created: r[CREATED], attempts: r[ATTEMPTS], body: r[BODY] };
}
