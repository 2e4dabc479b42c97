import type Database from 'better-sqlite3';
import type { Logger } from '../observability/logger';
import { RECORD_CLASSES, type RecordClass, type SyncMode } from './config';
import type { LeaseBook } from './leases';
import type { ReadAhead } from './read-ahead';
import type { Statements } from './statements';
import type { Counters } from './stats';
import type { BlockRef } from './types';
import type { Tally } from './writer';

/** Acked blocks are deleted once this many wait, or after ACK_FLUSH_MS (see ack()). */
const ACK_FLUSH_BLOCKS = 32;
const ACK_FLUSH_MS = 100;

export interface AckDeps {
  readonly db: Database.Database;
  readonly st: Statements;
  readonly logger: Logger;
  readonly book: LeaseBook;
  readonly tally: Tally;
  readonly counters: Counters;
  /** Sets `synchronous` for the next transaction. */
  readonly setSync: (mode: SyncMode) => void;
  /** The read-ahead running now, if any: it deletes acked blocks off the publishing thread. */
  readonly readAhead: () => ReadAhead | undefined;
}

/**
 * The outbox's ack side: marks delivered blocks done at once (in the LeaseBook and the tally)
 * and deletes their rows later, batched, with the uplink's meta values in the same transaction.
 */
export class AckPurger {
  /** Classes with acked blocks not deleted yet, and how many blocks. */
  private readonly unpurged = new Set<RecordClass>();
  private unpurgedBlocks = 0;
  private pendingMeta: Record<string, number> = {};
  private flushTimer?: NodeJS.Timeout;

  constructor(private readonly d: AckDeps) {}

  /**
   * Marks delivered blocks done; returns the records acked. Their rows are deleted in one
   * transaction once ACK_FLUSH_BLOCKS are waiting or after ACK_FLUSH_MS (deleting a block frees
   * its pages, and one transaction per message would cost as much as the rest of the drain): a
   * crash before that re-sends them, which at-least-once allows. Blocks not leased (from before
   * a restart) are deleted now if still stored. `meta` values (the uplink's data budget) are
   * written with the next deletion.
   */
  ack(blocks: readonly BlockRef[], meta?: Readonly<Record<string, number>>): number {
    const { book, tally } = this.d;
    let n = 0;
    const other: BlockRef[] = [];
    for (const b of blocks) {
      if (!book.isLeased(b.cls, b.key)) {
        if (!book.acked[b.cls].has(b.key)) other.push(b);
        continue;
      }
      const l = book.ack(b.cls, b.key);
      tally.bytes[b.cls] -= l.bytes;
      tally.count[b.cls] -= l.n;
      tally.blocks[b.cls]--;
      this.unpurged.add(b.cls);
      this.unpurgedBlocks++;
      n += l.n;
    }
    if (meta) Object.assign(this.pendingMeta, meta);
    this.d.counters.acked += n;
    if (other.length > 0 || this.unpurgedBlocks >= ACK_FLUSH_BLOCKS) return n + this.flush(other);
    if (!this.flushTimer && (this.unpurgedBlocks > 0 || meta)) {
      this.flushTimer = setTimeout(() => {
        try {
          this.flush();
        } catch (e) {
          // Not fatal: the acked blocks stay stored and go out again after a restart.
          this.d.logger.warn({ err: e }, 'outbox: deleting acked blocks failed (they may be sent again)');
        }
      }, ACK_FLUSH_MS);
      this.flushTimer.unref();
    }
    return n;
  }

  /** Deletes acked blocks (and `other`, not leased) and writes pending meta, in one transaction; returns `other`'s records. */
  flush(other: readonly BlockRef[] = []): number {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const { st, book, tally } = this.d;
    const readAhead = this.d.readAhead();
    const removed: { cls: RecordClass; n: number; bytes: number }[] = [];
    const meta = Object.entries(this.pendingMeta);
    const below: [RecordClass, number][] = [];
    for (const cls of this.unpurged) {
      const b = book.purge(cls);
      if (b !== undefined) below.push([cls, b]);
    }
    this.unpurged.clear();
    this.unpurgedBlocks = 0;
    this.pendingMeta = {};
    // The read-ahead worker deletes them off the publishing thread (meta in the same transaction).
    if (other.length === 0 && readAhead?.purge(below, meta)) return 0;
    this.d.setSync('NORMAL'); // a lost ack only causes a re-send
    this.d.db.transaction(() => {
      for (const [cls, b] of below) st.byClass[cls].deleteBelow.run(b);
      for (const b of other) {
        const r = st.byClass[b.cls].remove.get(b.key);
        if (r) removed.push({ cls: b.cls, ...r });
        if (r && b.key > book.cursor[b.cls]) readAhead?.invalidate(b.cls);
      }
      for (const [k, v] of meta) st.setMeta.run(k, v);
    }).immediate();
    let n = 0;
    for (const r of removed) {
      tally.count[r.cls] -= r.n;
      tally.bytes[r.cls] -= r.bytes;
      tally.blocks[r.cls]--;
      n += r.n;
    }
    this.d.counters.acked += n;
    return n;
  }

  /** At stop: blocks acked out of order are still stored (see LeaseBook.purge); deletes them in one transaction. */
  deleteAcked(): void {
    const { st, book } = this.d;
    this.d.db.transaction(() => {
      for (const cls of RECORD_CLASSES) if (book.acked[cls].size > 0) st.byClass[cls].removeMany.run(JSON.stringify([...book.acked[cls]]));
    }).immediate();
  }
}
