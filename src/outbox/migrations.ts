import type Database from 'better-sqlite3';
import { RECORD_CLASSES, type RecordClass } from './config';

/** One table per class: the rowid is the global sequence, so draining a class is a range scan. */
export function tableOf(cls: RecordClass): string {
  return `q_${cls.replace(/-/g, '_')}`;
}

/**
 * Numbered migrations; `PRAGMA user_version` holds the number applied. Append only: never edit
 * a migration that has shipped.
 */
const MIGRATIONS: readonly ((db: Database.Database) => void)[] = [
  // 1: class tables and the meta table (next sequence number, creation time).
  (db) => {
    for (const cls of RECORD_CLASSES) {
      db.exec(`CREATE TABLE ${tableOf(cls)} (
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
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Applies the pending migrations in one transaction each; returns the version before. */
export function migrate(db: Database.Database): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) throw new Error(`database schema version ${from} is newer than this gateway's (${SCHEMA_VERSION})`);
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      MIGRATIONS[v]!(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return from;
}
