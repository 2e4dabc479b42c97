import { join } from 'node:path';
import Database from 'better-sqlite3';
import { idsOf, makeOutbox, telemetry, tempDir } from './helpers';

function pragmaOf(file: string, name: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma(name, { simple: true }) as number;
  } finally {
    db.close();
  }
}
const pageSizeOf = (file: string) => pragmaOf(file, 'page_size');

describe('Outbox file layout (outbox.pageSize, pointer map)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('creates a new file with the configured page size, a block in one page, and drains it', async () => {
    const file = join(tmp.dir, 'big-pages.db');
    const ob = makeOutbox(file, { pageSize: 65536 });
    await ob.start();
    const ids = ob.append(telemetry(500, 'p1', 100));
    const blocks = ob.lease(500);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.body.length).toBeGreaterThan(50_000);
    expect(idsOf(blocks)).toEqual(ids);
    expect(ob.ack(blocks)).toBe(500);
    await ob.stop();
    expect(pageSizeOf(file)).toBe(65536);
  });

  it('uses SQLite’s 4096 by default', async () => {
    const file = join(tmp.dir, 'default.db');
    const ob = makeOutbox(file);
    await ob.start();
    ob.append(telemetry(3));
    await ob.stop();
    expect(pageSizeOf(file)).toBe(4096);
  });

  it('keeps an existing file’s page size (WAL mode cannot change it) and its records', async () => {
    const file = join(tmp.dir, 'existing.db');
    const first = makeOutbox(file);
    await first.start();
    const ids = first.append(telemetry(20));
    await first.stop();
    const again = makeOutbox(file, { pageSize: 65536 });
    await again.start();
    expect(idsOf(again.lease(100))).toEqual(ids);
    await again.stop();
    expect(pageSizeOf(file)).toBe(4096);
  });

  it('creates a new file with a pointer map (auto_vacuum INCREMENTAL): drained blocks are freed and their pages reused', async () => {
    const file = join(tmp.dir, 'ptrmap.db');
    const ob = makeOutbox(file);
    await ob.start();
    const first = ob.append(telemetry(2000, 'p1', 100));
    const blocks = ob.lease(2000);
    expect(idsOf(blocks)).toEqual(first);
    expect(ob.ack(blocks)).toBe(2000);
    await ob.stop();
    expect(pragmaOf(file, 'auto_vacuum')).toBe(2);
    expect(pragmaOf(file, 'freelist_count')).toBeGreaterThan(40); // four 55 kB blocks' pages freed
    const pagesAfterDrain = pragmaOf(file, 'page_count');
    const again = makeOutbox(file);
    await again.start();
    const second = again.append(telemetry(2000, 'p1', 100));
    expect(idsOf(again.lease(2000))).toEqual(second);
    await again.stop();
    expect(pragmaOf(file, 'page_count')).toBeLessThanOrEqual(pagesAfterDrain + 2);
    expect(pragmaOf(file, 'freelist_count')).toBeLessThan(10);
  });

  it('opens and drains a file made without a pointer map (before auto_vacuum was set), leaving it as it is', async () => {
    const file = join(tmp.dir, 'old.db');
    const plain = new Database(file);
    plain.pragma('journal_mode = WAL');
    plain.exec('CREATE TABLE t (x)');
    plain.close();
    const ob = makeOutbox(file);
    await ob.start();
    const ids = ob.append(telemetry(600, 'p1', 100));
    const blocks = ob.lease(600);
    expect(idsOf(blocks)).toEqual(ids);
    expect(ob.ack(blocks)).toBe(600);
    await ob.stop();
    expect(pragmaOf(file, 'auto_vacuum')).toBe(0);
  });
});
