import { join } from 'node:path';
import { idsOf, makeOutbox, telemetry, tempDir } from './helpers';

const seq = (id: string) => Number(id.split(':')[1]);
import { SkipError } from '../../src/core/errors';

describe('Outbox basics (:memory:)', () => {
  it('appends, leases blocks alarms first and in order, acks, releases', async () => {
    const ob = makeOutbox();
    await ob.start();
    const t = ob.append(telemetry(5));
    const a = ob.append([{ cls: 'alarm', asset: 'a1', payload: { level: 'high' }, ts: 42 }]);
    expect(t).toHaveLength(5);
    expect(new Set([...t, ...a]).size).toBe(6);
    const seqs = t.map(seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const l1 = ob.lease(100);
    expect(l1.map((b) => [b.cls, b.count])).toEqual([
      ['alarm', 1],
      ['telemetry', 5],
    ]);
    expect(l1[0]).toMatchObject({ key: seq(a[0]!), asset: 'a1', firstSeq: seq(a[0]!), lastSeq: seq(a[0]!), firstTs: 42, lastTs: 42, attempts: 0 });
    // The body is the wire format's records, ready to splice into a message.
    expect(l1[0]!.body.toString()).toBe(`{"id":"${a[0]}","ts":42,"payload":{"level":"high"}}`);
    expect(l1[1]).toMatchObject({ key: seqs[0], firstSeq: seqs[0], lastSeq: seqs[4], count: 5 });
    expect(idsOf(l1[1]!)).toEqual(t);
    expect(ob.release([l1[1]!])).toBe(5);
    expect(ob.ack([l1[0]!])).toBe(1);
    const l2 = ob.lease(10);
    expect(idsOf(l2)).toEqual(t);
    expect(l2[0]!.attempts).toBe(1);
    expect(ob.ack(l2)).toBe(5);
    expect(ob.stats()).toMatchObject({ appended: 6, acked: 6, released: 5, records: 0, bytes: 0, blocks: 0, leased: 0 });
    expect(ob.lease(10)).toEqual([]);
    await ob.stop();
  });

  it('stores one block per class and asset of a batch, split at blockMaxRecords; lease stops at whole blocks', async () => {
    const ob = makeOutbox(':memory:', { blockMaxRecords: 2 });
    await ob.start();
    const ids = ob.append([...telemetry(1, 'a1'), ...telemetry(1, 'a2'), ...telemetry(4, 'a1'), { cls: 'alarm', asset: 'a1', payload: 1 }]);
    // telemetry a1: 5 records -> blocks of 2, 2, 1; telemetry a2: 1; alarm a1: 1.
    expect(ob.stats()).toMatchObject({ records: 7, blocks: 5 });
    const all = ob.lease(3);
    expect(all.map((b) => [b.cls, b.asset, b.count])).toEqual([
      ['alarm', 'a1', 1],
      ['telemetry', 'a1', 2],
    ]);
    expect(idsOf(all[1]!)).toEqual([ids[0], ids[2]]);
    expect(all[1]).toMatchObject({ firstSeq: seq(ids[0]!), lastSeq: seq(ids[2]!) });
    const rest = ob.lease(100);
    expect(rest.map((b) => [b.asset, b.count])).toEqual([
      ['a2', 1],
      ['a1', 2],
      ['a1', 1],
    ]);
    // A first block larger than asked for is still returned (never stuck).
    ob.release(rest);
    expect(ob.lease(0).map((b) => b.count)).toEqual([1]);
    await ob.stop();
  });

  it('commits alarms with synchronous=FULL and telemetry with NORMAL, unless configured otherwise', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const ob = makeOutbox(join(dir, 's.db'));
      await ob.start();
      ob.append(telemetry(1));
      expect(ob.synchronous()).toBe('NORMAL');
      ob.append([{ cls: 'alarm', asset: 'a1', payload: 1 }]);
      expect(ob.synchronous()).toBe('FULL');
      ob.append([...telemetry(1), { cls: 'fl-update', asset: 'a1', payload: 1 }]);
      expect(ob.synchronous()).toBe('FULL');
      ob.append([{ cls: 'summary', asset: 'a1', payload: 1 }]);
      expect(ob.synchronous()).toBe('NORMAL');
      await ob.stop();
      const strict = makeOutbox(join(dir, 's2.db'), { sync: { telemetry: 'FULL' } });
      await strict.start();
      strict.append(telemetry(1));
      expect(strict.synchronous()).toBe('FULL');
      await strict.stop();
    } finally {
      cleanup();
    }
  });

  it('handles acks out of order, twice, and after a restart without re-sending acked blocks', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'acks.db');
      const ob = makeOutbox(file);
      await ob.start();
      const ids = Array.from({ length: 10 }, () => ob.append(telemetry(1))[0]!);
      const l = ob.lease(10);
      expect(l).toHaveLength(10);
      expect(ob.ack([l[5]!, l[7]!])).toBe(2); // out of order: rows stay until the ones below go
      expect(ob.ack([l[5]!])).toBe(0); // twice: counted once
      expect(ob.stats()).toMatchObject({ records: 8, acked: 2, leased: 8 });
      expect(ob.release([l[0]!, l[1]!])).toBe(2);
      expect(idsOf(ob.lease(10))).toEqual([ids[0], ids[1]]);
      expect(ob.ack(l.slice(0, 5))).toBe(5);
      await ob.stop(); // 6, 8, 9 leased but never acked; 7 acked out of order
      const again = makeOutbox(file);
      await again.start();
      const left = again.lease(10);
      expect(idsOf(left)).toEqual([ids[6], ids[8], ids[9]]);
      // Blocks acked without a lease of this run (e.g. after a restart) are deleted; a repeat counts once.
      expect(again.ack([{ cls: 'telemetry', key: seq(ids[6]!) }, { cls: 'telemetry', key: seq(ids[6]!) }])).toBe(1);
      expect(again.stats()).toMatchObject({ records: 2 });
      await again.stop();
    } finally {
      cleanup();
    }
  });

  it('rejects bad records with an error naming the record, storing nothing', async () => {
    const ob = makeOutbox();
    await ob.start();
    expect(() => ob.append([...telemetry(1), { cls: 'telemetry', asset: 'a/b', payload: 1 }])).toThrow(SkipError);
    expect(() => ob.append([{ cls: 'nope' as 'alarm', asset: 'a', payload: 1 }])).toThrow('outbox.append[0]: unknown record class "nope"');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => ob.append([{ cls: 'event', asset: 'a', payload: circular }])).toThrow(/outbox\.append\[0\]: payload of event\/a is not JSON-able/);
    expect(ob.stats()).toMatchObject({ rejected: 3, records: 0 });
    await ob.stop();
  });

  it('keeps ids monotonic and records across a restart of a file database', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'o.db');
      const ob = makeOutbox(file);
      await ob.start();
      const first = ob.append(telemetry(3));
      ob.ack(ob.lease(3));
      const kept = ob.append(telemetry(2));
      await ob.stop();
      const ob2 = makeOutbox(file);
      await ob2.start();
      expect(idsOf(ob2.lease(10))).toEqual(kept);
      const next = ob2.append(telemetry(1));
      expect(seq(next[0]!)).toBe(seq(kept[1]!) + 1);
      expect(seq(first[0]!)).toBeLessThan(seq(kept[0]!));
      await ob2.stop();
    } finally {
      cleanup();
    }
  });

  it('regression: lease(n) stops at n records when many small blocks are stored (a size peek accepted 16 blocks at once)', async () => {
    const ob = makeOutbox(':memory:', { blockMaxRecords: 10 });
    await ob.start();
    for (let i = 0; i < 30; i++) ob.append(telemetry(10));
    expect(ob.lease(50).map((b) => b.count)).toEqual([10, 10, 10, 10, 10]);
    expect(ob.lease(5).map((b) => b.count)).toEqual([10]); // a first block may hold more
    expect(ob.lease(25, { maxBytes: 1 }).length).toBe(1);
    await ob.stop();
  });
});
