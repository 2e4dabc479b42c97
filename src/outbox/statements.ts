import type Database from 'better-sqlite3';
import { RECORD_CLASSES, type RecordClass } from './config';
import { blockTable } from './migrations';

/** A block row as a raw array (cheaper than an object per row when draining); body last. */
export type BlockRow = [key: number, asset: string, n: number, bytes: number, firstSeq: number, lastSeq: number, firstTs: number, lastTs: number, created: number, attempts: number, body: Buffer];
export const KEY = 0;
export const ASSET = 1;
export const N = 2;
export const BYTES = 3;
export const FIRST_SEQ = 4;
export const LAST_SEQ = 5;
export const FIRST_TS = 6;
export const LAST_TS = 7;
export const CREATED = 8;
export const ATTEMPTS = 9;
export const BODY = 10;

export interface GapAggregate {
  asset: string;
  n: number;
  b: number;
  firstSeq: number;
  lastSeq: number;
  firstTs: number;
  lastTs: number;
}

export type InsertParams = [key: number, asset: string, n: number, bytes: number, firstSeq: number, lastSeq: number, firstTs: number, lastTs: number, created: number, body: Buffer];
export type UpdateParams = [n: number, bytes: number, firstSeq: number, lastSeq: number, firstTs: number, lastTs: number, body: Buffer, key: number];

/** Every statement of one class's block table, prepared once at start. */
export interface ClassStatements {
  insert: Database.Statement<InsertParams>;
  /** Up to n blocks above a key, oldest first. */
  after: Database.Statement<[number, number], BlockRow>;
  /** Key, records and bytes of up to n blocks above a key (no body read: to decide what fits). */
  sizesAfter: Database.Statement<[number, number], [key: number, n: number, bytes: number]>;
  one: Database.Statement<[number], BlockRow>;
  sizeOf: Database.Statement<[number], [key: number, n: number, bytes: number]>;
  /** Append time of the first block above a key (no body read). */
  firstCreated: Database.Statement<[number], number>;
  createdOf: Database.Statement<[number], number>;
  remove: Database.Statement<[number], { n: number; bytes: number }>;
  /** Deletes the keys of a JSON array in one statement. */
  removeMany: Database.Statement<[string]>;
  /** Deletes every block below a key (acked blocks, see LeaseBook.purge). */
  deleteBelow: Database.Statement<[number]>;
  bumpAttempts: Database.Statement<[number]>;
  totals: Database.Statement<[], { blocks: number; n: number; b: number; maxSeq: number | null }>;
  /** Oldest-first walk (no bodies) above a key, for cap and TTL cutoffs. */
  walk: Database.Statement<[number], { key: number; bytes: number; created: number }>;
  aggRange: Database.Statement<[number, number], GapAggregate & { blocks: number }>;
  deleteRange: Database.Statement<[number, number]>;
  /** Up to n blocks of (lo, hi], for thinning in chunks. */
  range: Database.Statement<[number, number, number], BlockRow>;
  update: Database.Statement<UpdateParams>;
}

const COLS = 'key, asset, n, bytes, first_seq, last_seq, first_ts, last_ts, created, attempts, body';
const AGG = 'asset, COUNT(*) AS blocks, SUM(n) AS n, SUM(bytes) AS b, MIN(first_seq) AS firstSeq, MAX(last_seq) AS lastSeq, MIN(first_ts) AS firstTs, MAX(last_ts) AS lastTs';

function prepareClass(db: Database.Database, cls: RecordClass): ClassStatements {
  const t = blockTable(cls);
  return {
    insert: db.prepare(`INSERT INTO ${t} (key, asset, n, bytes, first_seq, last_seq, first_ts, last_ts, created, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    after: db.prepare<[number, number], BlockRow>(`SELECT ${COLS} FROM ${t} WHERE key > ? ORDER BY key LIMIT ?`).raw(),
    sizesAfter: db.prepare<[number, number], [number, number, number]>(`SELECT key, n, bytes FROM ${t} WHERE key > ? ORDER BY key LIMIT ?`).raw(),
    one: db.prepare<[number], BlockRow>(`SELECT ${COLS} FROM ${t} WHERE key = ?`).raw(),
    sizeOf: db.prepare<[number], [number, number, number]>(`SELECT key, n, bytes FROM ${t} WHERE key = ?`).raw(),
    firstCreated: db.prepare<[number], number>(`SELECT created FROM ${t} WHERE key > ? ORDER BY key LIMIT 1`).pluck(),
    createdOf: db.prepare<[number], number>(`SELECT created FROM ${t} WHERE key = ?`).pluck(),
    remove: db.prepare(`DELETE FROM ${t} WHERE key = ? RETURNING n, bytes`),
    removeMany: db.prepare(`DELETE FROM ${t} WHERE key IN (SELECT value FROM json_each(?))`),
    deleteBelow: db.prepare(`DELETE FROM ${t} WHERE key < ?`),
    bumpAttempts: db.prepare(`UPDATE ${t} SET attempts = attempts + 1 WHERE key = ?`),
    totals: db.prepare(`SELECT COUNT(*) AS blocks, COALESCE(SUM(n), 0) AS n, COALESCE(SUM(bytes), 0) AS b, MAX(last_seq) AS maxSeq FROM ${t}`),
    walk: db.prepare(`SELECT key, bytes, created FROM ${t} WHERE key > ? ORDER BY key`),
    aggRange: db.prepare(`SELECT ${AGG} FROM ${t} WHERE key > ? AND key <= ? GROUP BY asset ORDER BY MIN(key)`),
    deleteRange: db.prepare(`DELETE FROM ${t} WHERE key > ? AND key <= ?`),
    range: db.prepare<[number, number, number], BlockRow>(`SELECT ${COLS} FROM ${t} WHERE key > ? AND key <= ? ORDER BY key LIMIT ?`).raw(),
    update: db.prepare(`UPDATE ${t} SET n = ?, bytes = ?, first_seq = ?, last_seq = ?, first_ts = ?, last_ts = ?, body = ? WHERE key = ?`),
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
