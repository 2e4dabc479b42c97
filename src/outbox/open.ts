import { existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import { FatalError, errorMessage } from '../core/errors';
import { migrate } from './migrations';

export interface OpenedDatabase {
  readonly db: Database.Database;
  /** Set when a corrupt file was moved aside: where it went and why. */
  readonly movedAside?: { readonly to: string; readonly reason: string; readonly nextSeq?: number };
}

export interface OpenOptions {
  readonly check: 'quick' | 'full' | 'none';
  readonly maxFileBytes?: number;
  /**
   * Page size of a new file (`outbox.pageSize`). At 64 KiB a block body (about 55 kB for 500
   * records) sits in one leaf page instead of a chain of 14 overflow pages at SQLite's default
   * 4 KiB, so deleting a drained block frees one page without walking a chain (docs/benchmarks.md,
   * "Uplink drain"). Only a new, empty file takes it: in WAL mode an existing file keeps the page
   * size it was created with (converting would need a VACUUM outside WAL; not done).
   */
  readonly pageSize?: number;
  /** For the ids of records converted by a migration. */
  readonly gatewayId: string;
}

class CorruptDatabase extends Error {}

/**
 * Opens (and migrates) the outbox database. A corrupt file is never fatal: it is moved aside with
 * its WAL and a fresh database is created, so a damaged SD card cannot cause a crash loop.
 */
export function openDatabase(file: string, opts: OpenOptions): OpenedDatabase {
  try {
    return { db: openChecked(file, opts) };
  } catch (e) {
    if (!(e instanceof CorruptDatabase) && !isCorruptionError(e)) {
      throw new FatalError(file, `cannot open outbox database: ${errorMessage(e)}`, { cause: e });
    }
    const reason = errorMessage(e);
    const to = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(file + suffix)) renameSync(file + suffix, to + suffix);
    }
    const nextSeq = salvageNextSeq(to);
    return { db: openChecked(file, opts), movedAside: { to, reason, nextSeq } };
  }
}

function openChecked(file: string, opts: OpenOptions): Database.Database {
  const db = new Database(file);
  try {
    // Must come before WAL is enabled and before the first table (a no-op on an existing file).
    if (opts.pageSize !== undefined) db.pragma(`page_size = ${opts.pageSize}`);
    // A pointer map lets SQLite free a deleted block's chain of overflow pages (14 at 4 KiB for a
    // 55 kB block) without reading each page to find the next one; the drain's CPU per record fell
    // ~10% with it (docs/benchmarks.md, "Uplink drain"), appends did not change. INCREMENTAL, not
    // FULL: nothing is moved at commit; freed pages are reused by later appends as before. Only a
    // new, empty file takes it, like page_size.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    // Keep the WAL from staying large after a big drain.
    db.pragma('journal_size_limit = 67108864');
    // Keep the pages a drain just read in cache until their blocks are deleted (16 MB).
    db.pragma('cache_size = -16384');
    if (opts.check !== 'none' && file !== ':memory:') {
      const rows = db.pragma(opts.check === 'full' ? 'integrity_check' : 'quick_check') as { integrity_check?: string; quick_check?: string }[];
      const first = rows[0] ? (rows[0].integrity_check ?? rows[0].quick_check) : 'ok';
      if (first !== 'ok') throw new CorruptDatabase(`${opts.check}_check: ${rows.map((r) => r.integrity_check ?? r.quick_check).slice(0, 3).join('; ')}`);
    }
    migrate(db, { gatewayId: opts.gatewayId });
    if (opts.maxFileBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.maxFileBytes / pageSize))}`);
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function isCorruptionError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** Best effort: read the sequence from the damaged file so ids stay monotonic. */
function salvageNextSeq(file: string): number | undefined {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare(`SELECT value FROM meta WHERE key = 'next_seq'`).get() as { value: number } | undefined;
      return row?.value;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}
