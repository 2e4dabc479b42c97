import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock';
import type { GapPayload, LeaseOptions, Outbox, OutboxBlock } from '../../src/outbox';
import { type ConfigInput, idsOf, makeOutbox, recordsOf, telemetry, tempDir } from './helpers';

/**
 * Outbox.enableReadAhead(): blocks are read (and acked blocks deleted) on a worker thread with its
 * own connection to a real file. lease() may come back short while a read is on its way, so
 * these tests lease like the uplink does: again on `readable` (here: polling briefly).
 */
const { dir, cleanup } = tempDir('pdm-readahead-');
afterAll(cleanup);
let n = 0;

async function open(config: Partial<ConfigInput> = {}, clock?: ManualClock): Promise<{ ob: Outbox; file: string }> {
  const file = join(dir, `ra-${n++}.db`);
  const ob = makeOutbox(file, config as never, clock);
  await ob.start();
  return { ob, file };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Leases until `records` are leased or nothing is pending, waiting for the worker when short. */
async function leaseUntil(ob: Outbox, records: number, per = 1000, opts: LeaseOptions = {}): Promise<OutboxBlock[]> {
  const out: OutboxBlock[] = [];
  let got = 0;
  const end = Date.now() + 10_000;
  while (got < records && Date.now() < end) {
    const pending = (opts.classes ?? (['alarm', 'gap', 'fl-update', 'event', 'summary', 'telemetry'] as const)).reduce((a, c) => a + ob.pendingCount(c), 0);
    if (pending === 0) break;
    const bs = ob.lease(Math.min(per, records - got), opts);
    if (bs.length === 0) await sleep(2);
    for (const b of bs) {
      out.push(b);
      got += b.count;
    }
  }
  return out;
}

const seq = (id: string) => Number(id.split(':')[1]);

async function waitUntil(cond: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

describe('Outbox read-ahead (worker thread)', () => {
  it('is refused for :memory: and reports itself in stats', async () => {
    const mem = makeOutbox(':memory:');
    await mem.start();
    expect(mem.enableReadAhead()).toBe(false);
    expect(mem.stats().readAhead).toBe(0);
    await mem.stop();
    const { ob } = await open();
    expect(ob.enableReadAhead()).toBe(true);
    expect(ob.stats().readAhead).toBe(1);
    await ob.stop();
    expect(ob.stats().readAhead).toBe(0);
  });

  it('hands out every block once, alarms first and in key order per class, from the worker', async () => {
    const { ob } = await open({ blockMaxRecords: 10 });
    const tel: string[] = [];
    for (let i = 0; i < 40; i++) tel.push(...ob.append(telemetry(10, 'a1', 20)));
    const alarms = ob.append([{ cls: 'alarm', asset: 'a1', payload: { sev: 2 } }]);
    ob.enableReadAhead();
    const first = ob.lease(30); // nothing queued yet and no read on its way: read here
    expect(idsOf(first)[0]).toBe(alarms[0]);
    const rest = await leaseUntil(ob, 400, 30);
    const ids = [...idsOf(first), ...idsOf(rest)];
    expect(ids).toEqual([...alarms, ...tel]);
    const s = ob.stats();
    expect(s.readAheadBlocks).toBeGreaterThan(20); // most came from the worker
    expect(s.leased).toBe(401);
    await ob.stop();
  });

  it('a released block comes back first, then the drain goes on after it: nothing skipped, nothing twice', async () => {
    const { ob } = await open({ blockMaxRecords: 10 });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(...ob.append(telemetry(10, 'a1', 20)));
    ob.enableReadAhead();
    const a = await leaseUntil(ob, 50, 50);
    const b = await leaseUntil(ob, 50, 50); // read ahead by now
    expect(ob.stats().readAheadBlocks).toBeGreaterThan(0);
    expect(ob.release(a)).toBe(50);
    ob.ack(b);
    const rest = await leaseUntil(ob, 1000, 50);
    expect(idsOf(rest)).toEqual([...ids.slice(0, 50), ...ids.slice(100)]);
    expect(rest.slice(0, a.length).map((x) => x.attempts)).toEqual(a.map(() => 1));
    await ob.stop();
  });

  it('never hands out a block evicted for the cap while it was read ahead; the gap record covers it', async () => {
    const { ob } = await open({ blockMaxRecords: 10, maxBytes: 200_000, evictHeadroom: 0.2 });
    const tel: string[] = [];
    for (let i = 0; i < 100; i++) tel.push(...ob.append(telemetry(10, 'a1', 100)));
    ob.enableReadAhead();
    const leasedBefore = await leaseUntil(ob, 20, 20);
    const second = await leaseUntil(ob, 20, 20); // the worker has queued blocks beyond these by now
    const leasedIds = idsOf([...leasedBefore, ...second]);
    expect(ob.stats().readAheadBlocks).toBeGreaterThan(0);
    // Over the cap: the oldest telemetry above the cursor (the queued blocks) goes.
    for (let i = 0; i < 40; i++) ob.append(telemetry(10, 'a2', 100));
    expect(ob.stats().evicted_telemetry).toBeGreaterThan(0);
    const gaps = recordsOf(await leaseUntil(ob, 1000, 1000, { classes: ['gap'] })).map((r) => r.payload as GapPayload);
    expect(gaps.length).toBeGreaterThan(0);
    const evicted = (id: string) => gaps.some((g) => g.asset === 'a1' && seq(id) >= seq(g.firstId) && seq(id) <= seq(g.lastId));
    const after = idsOf(await leaseUntil(ob, 10_000, 500, { classes: ['telemetry'] }));
    expect(after.filter(evicted)).toEqual([]);
    // Nothing is lost without a gap record: every a1 record was leased, or is covered by a gap.
    const seen = new Set([...leasedIds, ...after]);
    expect(tel.filter((id) => !seen.has(id) && !evicted(id))).toEqual([]);
    expect(ob.stats().readAheadDropped).toBeGreaterThan(0);
    await ob.stop();
  });

  it('never hands out a TTL-expired block that was read ahead', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 29));
    const { ob } = await open({ blockMaxRecords: 10, ttlSeconds: { telemetry: 60 } }, clock);
    const old: string[] = [];
    for (let i = 0; i < 20; i++) old.push(...ob.append(telemetry(10, 'a1', 20)));
    ob.enableReadAhead();
    const early = await leaseUntil(ob, 20, 20);
    await waitUntil(() => ob.stats().readAheadBlocks > 0); // the next blocks are queued
    clock.advance(120_000);
    const fresh = ob.append(telemetry(10, 'a1', 20));
    ob.sweep();
    const rest = idsOf(await leaseUntil(ob, 10_000, 500, { classes: ['telemetry'] }));
    expect(rest).toEqual(fresh);
    const gap = recordsOf(ob.lease(100, { classes: ['gap'] })).map((r) => r.payload as GapPayload);
    expect(gap).toEqual([expect.objectContaining({ reason: 'ttl', firstId: old[20], lastId: old[old.length - 1], count: 180 })]);
    expect(idsOf(early)).toEqual(old.slice(0, 20));
    await ob.stop();
  });

  it('deletes acked blocks on the worker with the meta values; a lease without ack is offered again after a restart', async () => {
    const { ob, file } = await open({ blockMaxRecords: 10 });
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(...ob.append(telemetry(10, 'a1', 20)));
    ob.enableReadAhead();
    const acked = await leaseUntil(ob, 300, 100);
    ob.ack(acked, { uplink_budget_spent: 1234 });
    ob.flushAcks();
    const unacked = await leaseUntil(ob, 100, 100); // "published", then the process dies before the ack
    expect(idsOf(unacked)).toEqual(ids.slice(300, 400));
    await ob.stop();
    const again = makeOutbox(file, { blockMaxRecords: 10 });
    await again.start();
    again.enableReadAhead();
    expect(again.totalRecords()).toBe(200);
    expect(again.meta('uplink_budget_spent')).toBe(1234);
    expect(idsOf(await leaseUntil(again, 1000, 100))).toEqual(ids.slice(300));
    await again.stop();
  });

  it('stop() ends the worker promptly, and start() brings it back', async () => {
    const { ob } = await open({ blockMaxRecords: 10 });
    for (let i = 0; i < 20; i++) ob.append(telemetry(10, 'a1', 20));
    ob.enableReadAhead();
    await leaseUntil(ob, 50, 50);
    const t0 = Date.now();
    await ob.stop();
    expect(Date.now() - t0).toBeLessThan(1500);
    await ob.start();
    expect(ob.stats().readAhead).toBe(1);
    expect((await leaseUntil(ob, 1000, 50)).reduce((a, b) => a + b.count, 0)).toBe(200);
    await ob.stop();
  });

  it('falls back to reading on the main thread when the worker cannot open the file, losing nothing', async () => {
    const { ob, file } = await open({ blockMaxRecords: 10 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(...ob.append(telemetry(10, 'a1', 20)));
    renameSync(file, `${file}.away`); // the main connection keeps its open file; the worker finds none
    ob.enableReadAhead();
    await waitUntil(() => ob.stats().readAheadFailed === 1);
    expect(ob.stats().readAhead).toBe(0);
    expect(idsOf(ob.lease(1000))).toEqual(ids);
    await ob.stop();
  });
});
