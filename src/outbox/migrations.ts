import type Database from 'better-sqlite3';
import { RECORD_CLASSES, type RecordClass } from './config';
import { BlockBuilder } from './blocks';
import { fragment } from './body';

/** Migration 1's per-record table of a class (converted to blocks by migration 2). */
function recordTable(cls: RecordClass): string {
  return `q_${cls.replace(/-/g, '_')}`;
}

/** One block table per class: the key is the block's first sequence, so draining a class is a range scan. */
export function blockTable(cls: RecordClass): string {
  return `b_${cls.replace(/-/g, '_')}`;
}

export interface MigrationContext {
  /** Record ids stored by migration 2's conversion are `<gatewayId>:<seq>`. */
  readonly gatewayId: string;
}

/** Records per block when converting a per-record database (the config defaults). */
const CONVERT_LIMITS = { maxRecords: 500, maxBytes: 128 * 1024 };
const CONVERT_CHUNK = 10_000;

/**
 * Numbered migrations; `PRAGMA user_version` holds the number applied. Append only: never edit
 * a migration that has shipped.
 */
const MIGRATIONS: readonly ((db: Database.Database, ctx: MigrationContext) => void)[] = [
  // 1: per-record class tables and the meta table (next sequence number).
  (db) => {
    for (const cls of RECORD_CLASSES) {
      db.exec(`CREATE TABLE ${recordTable(cls)} (
        seq INTEGER PRIMARY KEY,
        asset TEXT NOT NULL,
        ts INTEGER NOT NULL,
        created INTEGER NOT NULL,
        payload TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
      )`);
    }
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID`);
  },
  // 2: blocks (one row per append batch, class and asset, records pre-encoded for the wire).
  // Stored records are converted, never dropped: rows of one asset and append time become blocks.
  (db, ctx) => {
    for (const cls of RECORD_CLASSES) {
      db.exec(`CREATE TABLE ${blockTable(cls)} (
        key INTEGER PRIMARY KEY,
        asset TEXT NOT NULL,
        n INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        first_ts NUMERIC NOT NULL,
        last_ts NUMERIC NOT NULL,
        created INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        body BLOB NOT NULL
      )`);
      convertRecords(db, cls, ctx);
      db.exec(`DROP TABLE ${recordTable(cls)}`);
    }
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function convertRecords(db: Database.Database, cls: RecordClass, ctx: MigrationContext): void {
  type Old = { seq: number; asset: string; ts: number; created: number; payload: string; bytes: number; attempts: number };
  const read = db.prepare<[number, number], Old>(`SELECT seq, asset, ts, created, payload, bytes, attempts FROM ${recordTable(cls)} WHERE seq > ? ORDER BY seq LIMIT ?`);
  const insert = db.prepare(
    `INSERT INTO ${blockTable(cls)} (key, asset, n, bytes, first_seq, last_seq, first_ts, last_ts, created, attempts, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const builder = new BlockBuilder(CONVERT_LIMITS);
  const flush = (all: boolean) => {
    for (const b of builder.takeClosed(all)) insert.run(b.key, b.asset, b.n, b.bytes, b.firstSeq, b.lastSeq, b.firstTs, b.lastTs, b.created, b.attempts, Buffer.from(b.parts.join(',')));
  };
  let after = 0;
  for (;;) {
    const rows = read.all(after, CONVERT_CHUNK);
    if (rows.length === 0) break;
    for (const r of rows) builder.add(cls, r.asset, r.seq, r.ts, fragment(`${ctx.gatewayId}:${r.seq}`, r.ts, r.payload), r.bytes, r.created, r.attempts);
    after = rows[rows.length - 1]!.seq;
    flush(false);
  }
  flush(true);
}

/** Applies the pending migrations (up to `target`) in one transaction each; returns the version before. */
export function migrate(db: Database.Database, ctx: MigrationContext, target = SCHEMA_VERSION): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) throw new Error(`database schema version ${from} is newer than this gateway's (${SCHEMA_VERSION})`);
  for (let v = from; v < target; v++) {
    db.transaction(() => {
      MIGRATIONS[v]!(db, ctx);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return from;
}
