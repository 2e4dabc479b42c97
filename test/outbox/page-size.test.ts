import { join } from 'node:path';
import Database from 'better-sqlite3';
import { idsOf, makeOutbox, telemetry, tempDir } from './helpers';

function pageSizeOf(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('Outbox page size (outbox.pageSize)', () => {
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
});
