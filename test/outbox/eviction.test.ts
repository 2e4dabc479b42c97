import { ManualClock } from '../../src/core/clock';
import type { GapPayload } from '../../src/outbox';
import { idsOf, makeOutbox, recordsOf, telemetry } from './helpers';

const gapsOf = (ob: ReturnType<typeof makeOutbox>): GapPayload[] => recordsOf(ob.lease(10_000, { classes: ['gap'] })).map((r) => r.payload as GapPayload);

const seq = (id: string) => Number(id.split(':')[1]);

/** Appends in batches of 50: eviction makes room for a batch from what is already stored. */
function appendChunked(ob: ReturnType<typeof makeOutbox>, recs: ReturnType<typeof telemetry>): string[] {
  const ids: string[] = [];
  for (let i = 0; i < recs.length; i += 50) ids.push(...ob.append(recs.slice(i, i + 50)));
  return ids;
}

describe('Outbox caps, eviction and gap records', () => {
  it('evicts the oldest telemetry first and reports it as a gap per asset; alarms are kept', async () => {
    const ob = makeOutbox(':memory:', { maxBytes: 65536, evictHeadroom: 0.1 });
    await ob.start();
    const alarms = ob.append([{ cls: 'alarm', asset: 'p1', payload: { sev: 1, pad: 'a'.repeat(200) } }]);
    const sums = ob.append(Array.from({ length: 20 }, (_, i) => ({ cls: 'summary' as const, asset: 'p1', payload: { i } })));
    const t1 = appendChunked(ob, telemetry(300, 'p1', 100));
    const t2 = appendChunked(ob, telemetry(300, 'p2', 100));
    const s = ob.stats();
    expect(s.bytes).toBeLessThanOrEqual(65536);
    expect(s.evicted_telemetry).toBeGreaterThan(0);
    expect(s.evicted_alarm).toBe(0);
    expect(s.evicted_summary).toBe(0);
    expect(s.backlog_alarm).toBe(1);
    const gaps = gapsOf(ob);
    expect(gaps.length).toBe(s.gapRecords);
    expect(gaps.every((g) => g.cls === 'telemetry' && g.reason === 'cap' && g.keptEvery === undefined)).toBe(true);
    expect(gaps.reduce((a, g) => a + g.count, 0)).toBe(s.evicted_telemetry);
    // The oldest went first: the first gap starts at the first telemetry record.
    expect(gaps[0]!.firstId).toBe(t1[0]);
    // What is left is the newest telemetry, contiguous to the end.
    const left = idsOf(ob.lease(10_000, { classes: ['telemetry'] }));
    expect(left[left.length - 1]).toBe(t2[t2.length - 1]);
    const allIds = [...t1, ...t2];
    expect(left).toEqual(allIds.slice(allIds.length - left.length));
    expect(idsOf(ob.lease(10, { classes: ['alarm'] }))).toEqual(alarms);
    expect(idsOf(ob.lease(100, { classes: ['summary'] }))).toEqual(sums);
    await ob.stop();
  });

  it('thins telemetry to every k-th record per asset when the policy says so', async () => {
    const ob = makeOutbox(':memory:', { maxBytes: 65536, telemetryEviction: 'thin', thinKeepEvery: 4, evictHeadroom: 0.05 });
    await ob.start();
    const ids = appendChunked(ob, telemetry(400, 'p1', 100));
    const s = ob.stats();
    expect(s.evicted_telemetry).toBeGreaterThan(0);
    const gaps = gapsOf(ob);
    expect(gaps.length).toBeGreaterThan(0);
    expect(gaps[0]).toMatchObject({ cls: 'telemetry', asset: 'p1', reason: 'cap', keptEvery: 4, firstId: ids[1] });
    const kept = idsOf(ob.lease(10_000, { classes: ['telemetry'] }));
    // Inside the first thinned range only records 0, 4, 8, ... survive (record 0 may have gone
    // later, to a plain oldest-first eviction when thinning freed a little too little).
    const g = gaps[0]!;
    const inRange = kept.filter((id) => seq(id) > seq(g.firstId) && seq(id) < seq(g.lastId));
    expect(inRange.length).toBeGreaterThan(3);
    expect(inRange.every((id) => ids.indexOf(id) % 4 === 0)).toBe(true);
    // The thinned range runs from the record before firstId to lastId (or the one after it):
    // of its records, exactly those at index 0, 4, 8, ... survived.
    const span = ids.slice(ids.indexOf(g.firstId) - 1, ids.indexOf(g.lastId) + 1);
    expect(g.count).toBe(span.filter((_, i) => i % 4 !== 0).length);
    expect(kept.length + s.evicted_telemetry).toBe(400);
    await ob.stop();
  });

  it('never evicts alarms or fl-updates unless allowed, and then raises over-cap health', async () => {
    const ob = makeOutbox(':memory:', { maxBytes: 65536 });
    await ob.start();
    const big = (cls: 'alarm' | 'fl-update', n: number) => Array.from({ length: n }, (_, i) => ({ cls, asset: 'p1', payload: { i, pad: 'z'.repeat(1000) } }));
    ob.append(big('fl-update', 40));
    ob.append(big('alarm', 40));
    expect(ob.stats()).toMatchObject({ evicted: 0, backlog_alarm: 40, 'backlog_fl-update': 40 });
    expect(ob.health()).toMatchObject({ healthy: false, state: 'up' });
    expect(ob.health().detail).toMatch(/over the 65536-byte cap with protected records only/);
    await ob.stop();

    const ob2 = makeOutbox(':memory:', { maxBytes: 65536, evictProtected: true });
    await ob2.start();
    ob2.append(big('fl-update', 40));
    ob2.append(big('alarm', 40));
    const s = ob2.stats();
    expect(s['evicted_fl-update']).toBeGreaterThan(0);
    expect(s.evicted_alarm).toBe(0); // fl-updates go before alarms
    expect(s.bytes).toBeLessThanOrEqual(65536);
    expect(ob2.health().healthy).toBe(true);
    await ob2.stop();
  });

  // Each class is emptied before the next one is touched: telemetry, summary, event, then
  // fl-update only when evictProtected allows it (alarms last of all).
  it('moves on to the next class in order once telemetry has run out', async () => {
    const recs = (cls: 'telemetry' | 'summary' | 'event' | 'fl-update' | 'alarm', n: number, pad: number) => Array.from({ length: n }, (_, i) => ({ cls, asset: 'p1', payload: { i, pad: 'e'.repeat(pad) } }));
    /** About 60 kB under a 64 kB cap: 2 kB telemetry, 2 kB summaries, 30 kB events in blocks of 10, 20 kB fl-updates, 2 kB alarms. */
    const fill = (ob: ReturnType<typeof makeOutbox>) => {
      ob.append(recs('telemetry', 20, 20));
      ob.append(recs('summary', 20, 20));
      for (let i = 0; i < 10; i++) ob.append(recs('event', 10, 230));
      for (let i = 0; i < 4; i++) ob.append(recs('fl-update', 10, 430));
      ob.append(recs('alarm', 20, 20));
    };
    const gapClasses = (ob: ReturnType<typeof makeOutbox>) => [...new Set(gapsOf(ob).map((g) => g.cls))];

    const ob = makeOutbox(':memory:', { maxBytes: 65536, evictHeadroom: 0 });
    await ob.start();
    fill(ob);
    expect(ob.stats().evicted).toBe(0);
    ob.append(recs('fl-update', 30, 430)); // ~15 kB more: telemetry and summaries are not enough
    const s = ob.stats();
    expect(s).toMatchObject({ evicted_telemetry: 20, evicted_summary: 20, 'evicted_fl-update': 0, evicted_alarm: 0 });
    expect(s.evicted_event).toBeGreaterThan(0);
    expect(s.evicted_event).toBeLessThan(100);
    expect(s.bytes).toBeLessThanOrEqual(65536);
    expect(gapClasses(ob)).toEqual(['telemetry', 'summary', 'event']);
    // The oldest events went: what is left is the newest, contiguous.
    const events = recordsOf(ob.lease(10_000, { classes: ['event'] })).map((r) => (r.payload as { i: number }).i);
    expect(events).toHaveLength(100 - s.evicted_event);
    await ob.stop();

    // Without evictProtected, events run out and the fl-updates stay (over the cap).
    const keep = makeOutbox(':memory:', { maxBytes: 65536, evictHeadroom: 0 });
    await keep.start();
    fill(keep);
    keep.append(recs('fl-update', 100, 430)); // ~50 kB more
    expect(keep.stats()).toMatchObject({ evicted_telemetry: 20, evicted_summary: 20, evicted_event: 100, 'evicted_fl-update': 0, evicted_alarm: 0 });
    expect(keep.health().detail).toMatch(/over the 65536-byte cap with protected records only/);
    await keep.stop();

    // With it, fl-updates go next, still before any alarm.
    const all = makeOutbox(':memory:', { maxBytes: 65536, evictHeadroom: 0, evictProtected: true });
    await all.start();
    fill(all);
    all.append(recs('fl-update', 100, 430));
    const a = all.stats();
    expect(a).toMatchObject({ evicted_telemetry: 20, evicted_summary: 20, evicted_event: 100, evicted_alarm: 0 });
    expect(a['evicted_fl-update']).toBeGreaterThan(0);
    expect(gapClasses(all)).toEqual(['telemetry', 'summary', 'event', 'fl-update']);
    expect(all.health().healthy).toBe(true);
    await all.stop();
  });

  // A gap's time range is that of the records it reports, whatever order their ts came in.
  it("gives a gap record the evicted records' ts min and max as firstTs and lastTs", async () => {
    const ob = makeOutbox(':memory:', { maxBytes: 65536, evictHeadroom: 0.1, blockMaxRecords: 25 });
    await ob.start();
    const base = 1_700_000_000_000;
    // Out of order: ts runs backwards with a jump in each block.
    const tsOf = (i: number) => base + ((i * 7919) % 1000) * 1000;
    const recs = Array.from({ length: 600 }, (_, i) => ({ cls: 'telemetry' as const, asset: 'p1', ts: tsOf(i), payload: { i, pad: 'x'.repeat(100) } }));
    const ids = appendChunked(ob, recs);
    const gaps = gapsOf(ob);
    expect(gaps.length).toBeGreaterThan(0);
    for (const g of gaps) {
      const evicted = recs.slice(ids.indexOf(g.firstId), ids.indexOf(g.lastId) + 1);
      expect(evicted).toHaveLength(g.count);
      expect(g.firstTs).toBe(Math.min(...evicted.map((r) => r.ts)));
      expect(g.lastTs).toBe(Math.max(...evicted.map((r) => r.ts)));
    }
    await ob.stop();
  });

  it('does not evict leased records (they are in flight), only later ones', async () => {
    const ob = makeOutbox(':memory:', { maxBytes: 65536 });
    await ob.start();
    const first = ob.append(telemetry(100, 'p1', 100));
    const leased = ob.lease(100);
    expect(idsOf(leased)).toEqual(first);
    appendChunked(ob, telemetry(600, 'p1', 100));
    const gaps = gapsOf(ob);
    expect(seq(gaps[0]!.firstId)).toBeGreaterThan(seq(first[first.length - 1]!));
    expect(ob.ack(leased)).toBe(100);
    await ob.stop();
  });

  it('evicts records past their class TTL and reports them', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const ob = makeOutbox(':memory:', { ttlSeconds: { telemetry: 60 } }, clock);
    await ob.start();
    const old = ob.append(telemetry(10));
    clock.advance(30_000);
    const young = ob.append(telemetry(5));
    ob.append([{ cls: 'alarm', asset: 'a1', payload: 1 }]);
    clock.advance(40_000);
    ob.sweep();
    const gaps = gapsOf(ob);
    expect(gaps).toEqual([expect.objectContaining({ cls: 'telemetry', reason: 'ttl', count: 10, firstId: old[0], lastId: old[9] })]);
    expect(idsOf(ob.lease(100, { classes: ['telemetry'] }))).toEqual(young);
    expect(ob.stats()).toMatchObject({ evicted_telemetry: 10, backlog_alarm: 1 });
    await ob.stop();
  });

  it('thin() for the data budget drops all but every k-th pending record once per range', async () => {
    const ob = makeOutbox();
    await ob.start();
    const ids = ob.append(telemetry(10));
    const r1 = ob.thin('telemetry', 5, 'budget');
    expect(r1.dropped).toBe(8);
    const r2 = ob.thin('telemetry', 5, 'budget', r1.upTo);
    expect(r2.dropped).toBe(0);
    // The mark is the outbox's own (meta table): a caller that forgot it does not thin again.
    expect(ob.thin('telemetry', 5, 'budget').dropped).toBe(0);
    expect(ob.meta('thinned_budget_telemetry')).toBeGreaterThanOrEqual(r1.upTo);
    expect(idsOf(ob.lease(100, { classes: ['telemetry'] }))).toEqual([ids[0], ids[5]]);
    expect(gapsOf(ob)[0]).toMatchObject({ reason: 'budget', keptEvery: 5, count: 8 });
    await ob.stop();
  });
});
