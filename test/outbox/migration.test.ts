import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate, SCHEMA_VERSION } from '../../src/outbox/migrations';
import { idsOf, makeOutbox, recordsOf, tempDir } from './helpers';

describe('Outbox migration 2: a per-record database (migration 1) is converted to blocks', () => {
  it('keeps every stored record with its id, payload, order and attempts, and drains it', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'v1.db');
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      migrate(db, { gatewayId: 'gw1' }, 1);
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      const ins = (t: string) => db.prepare(`INSERT INTO ${t} (seq, asset, ts, created, payload, bytes, attempts) VALUES (?, ?, ?, ?, ?, ?, ?)`);
      const tele = ins('q_telemetry');
      // 1,200 telemetry records from two append batches, interleaving two assets; one alarm.
      for (let i = 0; i < 1200; i++) tele.run(1000 + i, `m${i % 2}`, 5000 + i, i < 600 ? 100 : 200, JSON.stringify({ i }), 80, i < 10 ? 2 : 0);
      ins('q_alarm').run(3000, 'm0', 7000, 300, '"hot"', 70, 0);
      db.prepare(`INSERT INTO meta (key, value) VALUES ('next_seq', 3001)`).run();
      db.close();

      const ob = makeOutbox(file);
      await ob.start();
      // Blocks per asset and append time, at most 500 records: 300+300 per batch and asset -> 4, +1 alarm.
      expect(ob.stats()).toMatchObject({ records: 1201, backlog_telemetry: 1200, backlog_alarm: 1, blocks: 5, bytes: 1200 * 80 + 70 });
      const blocks = ob.lease(10_000);
      expect(blocks.map((b) => [b.cls, b.asset, b.count, b.created])).toEqual([
        ['alarm', 'm0', 1, 300],
        ['telemetry', 'm0', 300, 100],
        ['telemetry', 'm1', 300, 100],
        ['telemetry', 'm0', 300, 200],
        ['telemetry', 'm1', 300, 200],
      ]);
      expect(recordsOf(blocks[0]!)).toEqual([{ id: 'gw1:3000', ts: 7000, payload: 'hot' }]);
      expect(blocks[1]).toMatchObject({ key: 1000, firstSeq: 1000, lastSeq: 1598, firstTs: 5000, lastTs: 5598, attempts: 2 });
      const m0 = recordsOf(blocks.filter((b) => b.asset === 'm0' && b.cls === 'telemetry'));
      expect(m0.map((r) => r.id)).toEqual(Array.from({ length: 600 }, (_, k) => `gw1:${1000 + 2 * k}`));
      expect(m0.map((r) => (r.payload as { i: number }).i)).toEqual(Array.from({ length: 600 }, (_, k) => 2 * k));
      expect(ob.ack(blocks)).toBe(1201);
      // The sequence continues where the old file left it.
      expect(ob.append([{ cls: 'event', asset: 'm0', payload: 1 }])).toEqual(['gw1:3001']);
      await ob.stop();

      const check = new Database(file, { readonly: true });
      expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const tables = (check.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[]).join(',');
      expect(tables).not.toMatch(/q_/);
      expect(tables).toMatch(/b_telemetry/);
      check.close();
      const again = makeOutbox(file);
      await again.start();
      expect(idsOf(again.lease(10))).toEqual(['gw1:3001']);
      await again.stop();
    } finally {
      cleanup();
    }
  });
});
