import { Worker } from 'node:worker_threads';
import type { Logger } from '../observability/logger';
import { RECORD_CLASSES, type RecordClass } from './config';
import { perClass } from './leases';
import { blockTable } from './migrations';
import { META_WIDTH, readerMain, type FromWorker, type PurgeRequest, type ReadRequest, type ReadResponse, type ToWorker, type WorkerData } from './read-ahead-worker';
import type { OutboxBlock } from './types';

/** A read is asked for when fewer blocks than this are queued for a class... */
const LOW_BLOCKS = 48;
/** ...for up to this many blocks or bytes of bodies. */
const READ_BLOCKS = 64;
const READ_BYTES = 4 * 1024 * 1024;
const CLOSE_WAIT_MS = 2000;

interface ClassQueue {
  blocks: OutboxBlock[];
  head: number;
  /** Records in blocks[head..]. */
  records: number;
  /** Bumped by invalidate(): answers to older requests are dropped. */
  gen: number;
  /** Set while a request of the current generation is unanswered. */
  waiting: boolean;
  /** The last read found nothing new: no more reads until an append or invalidate() (no ping-pong on a miscount). */
  dry: boolean;
}

export interface ReadAheadDeps {
  readonly file: string;
  readonly logger: Logger;
  /** The lease cursor of a class: queued blocks at or below it were leased another way. */
  readonly cursor: (cls: RecordClass) => number;
  /** Blocks arrived (or the reader stopped): whoever waits in lease() should try again. */
  readonly onReadable: () => void;
  /** Counted into (kept by the outbox across restarts). */
  readonly counters: ReadAheadStats;
}

export interface ReadAheadStats {
  readAheadBlocks: number;
  readAheadDropped: number;
  readAheadFailed: number;
  readAheadWaits: number;
  purgeErrors: number;
}

/**
 * Reads the next blocks of each class ahead of `lease()`, and deletes acked blocks, on a worker
 * thread with its own connection, so the publishing thread does not spend its time in SQLite
 * (see docs/benchmarks.md, "Uplink drain"). The queues only ever hold blocks above the lease cursor
 * in key order: a cache of what `lease()` would read itself. Whatever changes stored blocks
 * above the cursor (eviction, TTL, thinning) must call `invalidate(cls)` in the same
 * synchronous step, so a block dropped and reported in a gap record is never handed out later.
 */
export class ReadAhead {
  private worker?: Worker;
  private readonly q = perClass<ClassQueue>(() => ({ blocks: [], head: 0, records: 0, gen: 0, waiting: false, dry: false }));

  constructor(private readonly d: ReadAheadDeps) {
    const data: WorkerData = { file: d.file, sqlite: require.resolve('better-sqlite3'), metaWidth: META_WIDTH, tables: RECORD_CLASSES.map((c) => [c, blockTable(c)] as const) };
    // Run from source text (see readerMain): a worker file would be .ts under jest and .js in dist.
    const w = new Worker(`(${String(readerMain)})(require)`, { eval: true, workerData: data });
    w.unref();
    w.on('message', (m: FromWorker) => (m.type === 'blocks' ? this.receive(m) : this.purgeFailed(m.message)));
    w.on('error', (e) => this.fail(e));
    w.on('exit', (code) => {
      if (this.worker === w) this.fail(new Error(`read-ahead worker exited (code ${code})`));
    });
    this.worker = w;
  }

  /** True while the worker serves reads (false after a failure: lease() reads by itself). */
  get active(): boolean {
    return this.worker !== undefined;
  }

  /** The next queued block of a class above `cursor` (not removed), or undefined. */
  peek(cls: RecordClass): OutboxBlock | undefined {
    const q = this.q[cls];
    const cursor = this.d.cursor(cls);
    while (q.head < q.blocks.length) {
      const b = q.blocks[q.head]!;
      if (b.key > cursor) return b;
      this.shift(cls); // leased by lease()'s own read while this one was queued
      this.d.counters.readAheadDropped++;
    }
    return undefined;
  }

  /** Removes the block peek() returned. */
  shift(cls: RecordClass): void {
    const q = this.q[cls];
    q.records -= q.blocks[q.head]!.count;
    q.blocks[q.head++] = undefined as unknown as OutboxBlock; // let it be collected
    if (q.head === q.blocks.length) {
      q.blocks = [];
      q.head = 0;
    }
  }

  /** A read for this class is on its way: lease() should wait for onReadable rather than read itself. */
  waiting(cls: RecordClass): boolean {
    return this.active && this.q[cls].waiting;
  }

  /** Asks for the next blocks when few are queued and `pending` records of the class are not all queued. */
  refill(cls: RecordClass, pending: number): void {
    const q = this.q[cls];
    const w = this.worker;
    if (!w || q.waiting || q.dry || pending <= q.records || q.blocks.length - q.head >= LOW_BLOCKS) return;
    const req: ReadRequest = { type: 'read', cls, gen: q.gen, after: this.queuedTo(cls), maxBlocks: READ_BLOCKS, maxBytes: READ_BYTES };
    q.waiting = true;
    w.postMessage(req);
  }

  /**
   * Deletes every block below `below[cls]` and writes `meta`, in one transaction on the worker
   * (the blocks are acked; see LeaseBook.purge). False when the worker is gone: do it yourself.
   */
  purge(below: PurgeRequest['below'], meta: PurgeRequest['meta']): boolean {
    const w = this.worker;
    if (!w) return false;
    if (below.length > 0 || meta.length > 0) w.postMessage({ type: 'purge', below, meta } satisfies ToWorker);
    return true;
  }

  /** Drops what is queued for a class (its stored blocks above the cursor changed). */
  invalidate(cls: RecordClass): void {
    const q = this.q[cls];
    this.d.counters.readAheadDropped += q.blocks.length - q.head;
    q.blocks = [];
    q.head = 0;
    q.records = 0;
    q.gen++;
    q.waiting = false;
    q.dry = false;
  }

  /** Records were appended: a class whose last read came back empty may have more now. */
  appended(): void {
    for (const c of RECORD_CLASSES) this.q[c].dry = false;
  }

  /** Stops the worker (waits for it to close its connection, bounded). */
  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.worker = undefined;
    for (const c of RECORD_CLASSES) this.invalidate(c);
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    w.postMessage({ type: 'close' } satisfies ToWorker);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), CLOSE_WAIT_MS)));
    if ((await Promise.race([exited, late])) === 'late') await w.terminate();
    clearTimeout(timer);
  }

  /** The key up to which a class's blocks are queued or leased: the next read starts above it. */
  private queuedTo(cls: RecordClass): number {
    const blocks = this.q[cls].blocks;
    const last = blocks[blocks.length - 1];
    return Math.max(last ? last.key : 0, this.d.cursor(cls));
  }

  private purgeFailed(message: string): void {
    this.d.counters.purgeErrors++;
    // Not fatal: the rows stay stored and go out again after a restart (at-least-once).
    this.d.logger.warn({ file: this.d.file, err: message }, 'outbox: deleting acked blocks failed (they may be sent again)');
  }

  private receive(m: ReadResponse): void {
    const q = this.q[m.cls];
    if (!this.worker || m.gen !== q.gen) return; // invalidated meanwhile
    q.waiting = false;
    let after = this.queuedTo(m.cls);
    const before = q.records;
    for (let i = 0; i < m.assets.length; i++) {
      const o = i * META_WIDTH;
      const key = m.meta[o]!;
      const body = Buffer.from(m.bodies[i]!, 0, m.meta[o + 9]!);
      // Keys only grow, so anything at or below the tail was queued or leased already.
      if (key <= after) continue;
      after = key;
      const [count, bytes, firstSeq, lastSeq, firstTs, lastTs, created, attempts] = m.meta.subarray(o + 1, o + 9);
      q.blocks.push({ key, cls: m.cls, asset: m.assets[i]!, count: count!, bytes: bytes!, firstSeq: firstSeq!, lastSeq: lastSeq!, firstTs: firstTs!, lastTs: lastTs!, created: created!, attempts: attempts!, body });
      q.records += count!;
      this.d.counters.readAheadBlocks++;
    }
    q.dry = q.records === before;
    this.d.onReadable();
  }

  private fail(e: Error): void {
    if (!this.worker) return;
    this.d.counters.readAheadFailed++;
    this.d.logger.warn({ file: this.d.file, err: e.message }, 'outbox: read-ahead worker failed; reading on the main thread');
    const w = this.worker;
    this.worker = undefined;
    for (const c of RECORD_CLASSES) this.invalidate(c);
    void w.terminate();
    this.d.onReadable();
  }
}
