import Database from 'better-sqlite3';
import type { UplinkMessage } from '../../uplink/codec';

export interface IngestResult {
  readonly records: number;
  readonly duplicates: number;
  readonly gaps: number;
}

export interface StoredGap {
  gateway: string;
  id: string;
  cls: string;
  asset: string;
  reason: string;
  firstId: string;
  lastId: string;
  count: number;
  firstTs: number;
  lastTs: number;
  keptEvery: number | null;
}

/** The cloud side's SQLite: records deduplicated by id, in arrival order, and the gaps reported. */
export class IngestStore {
  private readonly db: Database.Database;
  private readonly insertRecord: Database.Statement<[string, string, string, string, string, number, number, string]>;
  private readonly insertGap: Database.Statement<[string, string, string, string, string, string, string, number, number, number, number | null]>;
  private readonly bumpDuplicates: Database.Statement<[number]>;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS records (arrival INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, gateway TEXT NOT NULL, site TEXT NOT NULL,
        cls TEXT NOT NULL, asset TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, payload TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS gaps (id TEXT PRIMARY KEY, gateway TEXT NOT NULL, cls TEXT NOT NULL, asset TEXT NOT NULL, reason TEXT NOT NULL,
        firstId TEXT NOT NULL, lastId TEXT NOT NULL, count INTEGER NOT NULL, firstTs INTEGER NOT NULL, lastTs INTEGER NOT NULL, keptEvery INTEGER);
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO counters VALUES ('duplicates', 0);`);
    this.insertRecord = this.db.prepare(`INSERT OR IGNORE INTO records (id, gateway, site, cls, asset, seq, ts, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertGap = this.db.prepare(`INSERT OR IGNORE INTO gaps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.bumpDuplicates = this.db.prepare(`UPDATE counters SET value = value + ? WHERE name = 'duplicates'`);
  }

  /** Stores one message in one transaction; a record id seen before counts as a duplicate. */
  ingest(m: UplinkMessage): IngestResult {
    let records = 0;
    let gaps = 0;
    this.db.transaction(() => {
      for (const r of m.records) {
        const payload = JSON.stringify(r.payload);
        if (this.insertRecord.run(r.id, m.gateway, m.site, m.class, m.asset, seqOf(r.id), r.ts, payload).changes === 0) continue;
        records++;
        if (m.class === 'gap') {
          const g = r.payload as Omit<StoredGap, 'gateway' | 'id'>;
          this.insertGap.run(r.id, m.gateway, g.cls, g.asset, g.reason, g.firstId, g.lastId, g.count, g.firstTs, g.lastTs, g.keptEvery ?? null);
          gaps++;
        }
      }
      const dups = m.records.length - records;
      if (dups > 0) this.bumpDuplicates.run(dups);
    })();
    return { records, duplicates: m.records.length - records, gaps };
  }

  count(cls?: string): number {
    const row = cls === undefined ? this.db.prepare('SELECT COUNT(*) AS n FROM records').get() : this.db.prepare('SELECT COUNT(*) AS n FROM records WHERE cls = ?').get(cls);
    return (row as { n: number }).n;
  }

  duplicates(): number {
    return (this.db.prepare(`SELECT value FROM counters WHERE name = 'duplicates'`).get() as { value: number }).value;
  }

  has(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM records WHERE id = ?').get(id) !== undefined;
  }

  /** Arrival number of a record (ascending in the order first received), undefined when it never arrived. */
  arrival(id: string): number | undefined {
    return (this.db.prepare('SELECT arrival FROM records WHERE id = ?').get(id) as { arrival: number } | undefined)?.arrival;
  }

  /** Ids of `wanted` that never arrived. */
  missing(wanted: Iterable<string>): string[] {
    const st = this.db.prepare('SELECT 1 FROM records WHERE id = ?');
    const out: string[] = [];
    for (const id of wanted) if (st.get(id) === undefined) out.push(id);
    return out;
  }

  /** Records whose sequence is lower than the previous arrival of the same gateway, class and asset. */
  orderViolations(): number {
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM (SELECT seq, LAG(seq) OVER (PARTITION BY gateway, cls, asset ORDER BY arrival) AS prev FROM records) WHERE prev > seq`)
      .get() as { n: number };
    return row.n;
  }

  gaps(): StoredGap[] {
    return this.db.prepare('SELECT gateway, id, cls, asset, reason, firstId, lastId, count, firstTs, lastTs, keptEvery FROM gaps ORDER BY firstId').all() as StoredGap[];
  }

  payloads(cls: string, asset: string): unknown[] {
    return (this.db.prepare('SELECT payload FROM records WHERE cls = ? AND asset = ? ORDER BY seq').all(cls, asset) as { payload: string }[]).map((r) => JSON.parse(r.payload) as unknown);
  }

  close(): void {
    this.db.close();
  }
}

function seqOf(id: string): number {
  const n = Number(id.slice(id.lastIndexOf(':') + 1));
  return Number.isSafeInteger(n) ? n : -1;
}
