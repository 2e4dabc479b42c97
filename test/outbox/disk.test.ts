import { closeSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RetryableError } from '../../src/core/errors';
import type { GapPayload } from '../../src/outbox';
import { countOf, idsOf, makeOutbox, recordsOf, telemetry, tempDir } from './helpers';

describe('Outbox on a full disk and a corrupt file', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('keeps running on SQLITE_FULL (max_page_count cap): alarm raised, telemetry evicted, alarms kept', async () => {
    const file = join(tmp.dir, 'full.db');
    const ob = makeOutbox(file, { maxBytes: 64 * 1024 * 1024, maxFileBytes: 512 * 1024 });
    const alarms: string[] = [];
    ob.on('alarm', (d) => alarms.push(d));
    await ob.start();
    const kept: string[] = [];
    for (let i = 0; i < 200; i++) {
      kept.push(...ob.append([{ cls: 'alarm', asset: 'p1', payload: { i } }]));
      ob.append(telemetry(50, 'p1', 200));
    }
    const s = ob.stats();
    expect(s.diskFullEvents).toBeGreaterThan(0);
    expect(s.evicted_telemetry).toBeGreaterThan(0);
    expect(s.evicted_alarm).toBe(0);
    expect(s.capBytes).toBeLessThan(64 * 1024 * 1024);
    expect(ob.health()).toMatchObject({ healthy: false, state: 'up' });
    expect(ob.health().detail).toMatch(/database or disk full/);
    expect(alarms[0]).toMatch(/full\.db: database or disk full/);
    const gaps = recordsOf(ob.lease(10_000, { classes: ['gap'] })).map((r) => r.payload as GapPayload);
    expect(gaps.some((g) => g.reason === 'disk-full' && g.cls === 'telemetry')).toBe(true);
    expect(idsOf(ob.lease(10_000, { classes: ['alarm'] }))).toEqual(kept);
    await ob.stop();
    const db = new Database(file);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('refuses a batch with a RetryableError when only protected records are left, storing nothing of it', async () => {
    const file = join(tmp.dir, 'full2.db');
    const ob = makeOutbox(file, { maxFileBytes: 256 * 1024 });
    await ob.start();
    let refused: unknown;
    let stored = 0;
    for (let i = 0; i < 2000 && !refused; i++) {
      try {
        stored += ob.append([{ cls: 'alarm', asset: 'p1', payload: { i, pad: 'q'.repeat(500) } }]).length;
      } catch (e) {
        refused = e;
      }
    }
    expect(refused).toBeInstanceOf(RetryableError);
    expect((refused as Error).message).toMatch(/full2\.db: disk full and nothing more can be evicted/);
    expect(ob.stats()).toMatchObject({ backlog_alarm: stored, evicted: 0 });
    expect(countOf(ob.lease(100_000))).toBe(stored);
    await ob.stop();
  });

  it('moves a corrupt database aside, starts a new one and reports it', async () => {
    const file = join(tmp.dir, 'bad.db');
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const ob = makeOutbox(file);
    const alarms: string[] = [];
    ob.on('alarm', (d) => alarms.push(d));
    await ob.start();
    expect(ob.stats().corruptRecovered).toBe(1);
    expect(alarms[0]).toMatch(/bad\.db: corrupt database moved aside to .*bad\.db\.corrupt-/);
    expect(ob.health()).toMatchObject({ healthy: true, state: 'up' });
    expect(ob.health().detail).toMatch(/file is not a database/);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('bad.db.corrupt-'))).toHaveLength(1);
    const ids = ob.append(telemetry(3));
    expect(idsOf(ob.lease(10))).toEqual(ids);
    await ob.stop();
  });

  it('detects damage inside a valid-looking file with the start check', async () => {
    const file = join(tmp.dir, 'damaged.db');
    const ob = makeOutbox(file);
    await ob.start();
    let last = '';
    for (let i = 0; i < 20; i++) last = ob.append(telemetry(100, 'p1', 200)).pop()!;
    await ob.stop();
    // Overwrite a few pages in the middle (keeps the header, breaks the b-tree).
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096 * 3, 0xff), 0, 4096 * 3, 4096 * 4);
    closeSync(fd);
    const again = makeOutbox(file);
    await again.start();
    expect(again.stats().corruptRecovered).toBe(1);
    expect(again.stats().records).toBe(0);
    const id = again.append(telemetry(1))[0]!;
    // Ids stay unique across the reset: the new sequence starts above the old one.
    expect(Number(id.split(':')[1])).toBeGreaterThan(Number(last.split(':')[1]));
    await again.stop();
  });
});
