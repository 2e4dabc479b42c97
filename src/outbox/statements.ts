import type Database from 'better-sqlite3';
import { RECORD_CLASSES, type RecordClass } from './config';
import { tableOf } from './migrations';

/** A record row as a raw array (cheaper than an object per row when draining). */
export type Row = [seq: number, asset: string, ts: number, created: number, payload: string, bytes: number, attempts: number];
export const SEQ = 0;
export const ASSET = 1;
export const TS = 2;
export const CREATED = 3;
export const PAYLOAD = 4;
export const BYTES = 5;
export const ATTEMPTS = 6;

export interface GapAggregate {
  asset: string;
  n: number;
  b: number;
  firstSeq: number;
  lastSeq: number;
  firstTs: number;
  lastTs: number;
}

/** Every statement of one class table, prepared once at start. */
/** Rows per multi-row INSERT: binding 16 rows per statement halves the per-row cost of appends. */
export const INSERT_CHUNK = 16;

export interface ClassStatements {
  insert: Database.Statement<[number, string, number, number, string, number]>;
  /** INSERT_CHUNK rows at once; parameters flattened (seq, asset, ts, created, payload, bytes) x 16. */
  insertChunk: Database.Statement<unknown[]>;
  after: Database.Statement<[number, number], Row>;
  one: Database.Statement<[number], Row>;
  remove: Database.Statement<[number], { bytes: number }>;
  /** Deletes the seqs of a JSON array in one statement. */
  removeMany: Database.Statement<[string]>;
  /** Deletes every row below a seq (acked rows, see LeaseBook.purge). */
  deleteBelow: Database.Statement<[number]>;
  bumpAttempts: Database.Statement<[number]>;
  totals: Database.Statement<[], { n: number; b: number; maxSeq: number | null }>;
  /** Oldest-first walk (seq, bytes, created) above a cursor, for cap and TTL cutoffs. */
  walk: Database.Statement<[number], { seq: number; bytes: number; created: number }>;
  aggRange: Database.Statement<[number, number], GapAggregate>;
  deleteRange: Database.Statement<[number, number]>;
  aggThin: Database.Statement<[number, number, number], GapAggregate>;
  deleteThin: Database.Statement<[number, number, number]>;
}

const COLS = 'seq, asset, ts, created, payload, bytes, attempts';
const AGG = 'asset, COUNT(*) AS n, SUM(bytes) AS b, MIN(seq) AS firstSeq, MAX(seq) AS lastSeq, MIN(ts) AS firstTs, MAX(ts) AS lastTs';
/** Rows of (lo, hi] numbered per asset; thinning keeps rows 1, k+1, 2k+1, ... of each asset. */
const NUMBERED = (t: string) => `SELECT seq, asset, ts, bytes, ROW_NUMBER() OVER (PARTITION BY asset ORDER BY seq) AS rn FROM ${t} WHERE seq > ? AND seq <= ?`;

export function prepareClass(db: Database.Database, cls: RecordClass): ClassStatements {
  const t = tableOf(cls);
  return {
    insert: db.prepare(`INSERT INTO ${t} (seq, asset, ts, created, payload, bytes) VALUES (?, ?, ?, ?, ?, ?)`),
    insertChunk: db.prepare(`INSERT INTO ${t} (seq, asset, ts, created, payload, bytes) VALUES ${Array<string>(INSERT_CHUNK).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`),
    after: db.prepare<[number, number], Row>(`SELECT ${COLS} FROM ${t} WHERE seq > ? ORDER BY seq LIMIT ?`).raw(),
    one: db.prepare<[number], Row>(`SELECT ${COLS} FROM ${t} WHERE seq = ?`).raw(),
    remove: db.prepare(`DELETE FROM ${t} WHERE seq = ? RETURNING bytes`),
    removeMany: db.prepare(`DELETE FROM ${t} WHERE seq IN (SELECT value FROM json_each(?))`),
    deleteBelow: db.prepare(`DELETE FROM ${t} WHERE seq < ?`),
    bumpAttempts: db.prepare(`UPDATE ${t} SET attempts = attempts + 1 WHERE seq = ?`),
    totals: db.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b, MAX(seq) AS maxSeq FROM ${t}`),
    walk: db.prepare(`SELECT seq, bytes, created FROM ${t} WHERE seq > ? ORDER BY seq`),
    aggRange: db.prepare(`SELECT ${AGG} FROM ${t} WHERE seq > ? AND seq <= ? GROUP BY asset ORDER BY MIN(seq)`),
    deleteRange: db.prepare(`DELETE FROM ${t} WHERE seq > ? AND seq <= ?`),
    aggThin: db.prepare(`SELECT ${AGG} FROM (${NUMBERED(t)}) WHERE (rn - 1) % ? != 0 GROUP BY asset ORDER BY MIN(seq)`),
    deleteThin: db.prepare(`DELETE FROM ${t} WHERE seq IN (SELECT seq FROM (${NUMBERED(t)}) WHERE (rn - 1) % ? != 0)`),
  };
}

export interface Statements {
  readonly byClass: Readonly<Record<RecordClass, ClassStatements>>;
  readonly getMeta: Database.Statement<[string], { value: number }>;
  readonly setMeta: Database.Statement<[string, number]>;
}

export function prepareAll(db: Database.Database): Statements {
  const byClass = {} as Record<RecordClass, ClassStatements>;
  for (const cls of RECORD_CLASSES) byClass[cls] = prepareClass(db, cls);
  return {
    byClass,
    getMeta: db.prepare(`SELECT value FROM meta WHERE key = ?`),
    setMeta: db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
  };
}
