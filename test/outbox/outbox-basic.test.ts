import { join } from 'node:path';
import { makeOutbox, telemetry, tempDir } from './helpers';
import { SkipError } from '../../src/core/errors';

describe('Outbox basics (:memory:)', () => {
  it('appends, leases alarms first and in order, acks, releases', async () => {
    const ob = makeOutbox();
    await ob.start();
    const t = ob.append(telemetry(5));
    const a = ob.append([{ cls: 'alarm', asset: 'a1', payload: { level: 'high' }, ts: 42 }]);
    expect(t).toHaveLength(5);
    expect(new Set([...t, ...a]).size).toBe(6);
    const seqs = t.map((id) => Number(id.split(':')[1]));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const l1 = ob.lease(3);
    expect(l1.map((r) => r.cls)).toEqual(['alarm', 'telemetry', 'telemetry']);
    expect(l1[0]).toMatchObject({ id: a[0], ts: 42, json: '{"level":"high"}', attempts: 0 });
    expect(l1.slice(1).map((r) => r.id)).toEqual(t.slice(0, 2));
    expect(ob.release([l1[2]!.id])).toBe(1);
    expect(ob.ack([l1[0]!.id, l1[1]!.id])).toBe(2);
    const l2 = ob.lease(10);
    expect(l2.map((r) => r.id)).toEqual(t.slice(1));
    expect(l2[0]!.attempts).toBe(1);
    expect(ob.ack(l2.map((r) => r.id))).toBe(4);
    expect(ob.stats()).toMatchObject({ appended: 6, acked: 6, released: 1, records: 0, bytes: 0, leased: 0 });
    expect(ob.lease(10)).toEqual([]);
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

  it('handles acks out of order, twice, and after a restart without re-sending acked records', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'acks.db');
      const ob = makeOutbox(file);
      await ob.start();
      const ids = ob.append(telemetry(10));
      const l = ob.lease(10).map((r) => r.id);
      expect(ob.ack([l[5]!, l[7]!])).toBe(2); // out of order: rows stay until the ones below go
      expect(ob.ack([l[5]!])).toBe(0); // twice: counted once
      expect(ob.stats()).toMatchObject({ records: 8, acked: 2, leased: 8 });
      expect(ob.release([l[0]!, l[1]!])).toBe(2);
      expect(ob.lease(10).map((r) => r.id)).toEqual([l[0], l[1]]);
      expect(ob.ack(l.slice(0, 5))).toBe(5);
      await ob.stop(); // 6, 8, 9 leased but never acked; 7 acked out of order
      const again = makeOutbox(file);
      await again.start();
      expect(again.lease(10).map((r) => r.id)).toEqual([ids[6], ids[8], ids[9]]);
      // A repeated id counts once; ids of another gateway are ignored.
      expect(again.ack([ids[6]!, ids[6]!, 'other-gw:5'])).toBe(1);
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
      ob.ack(ob.lease(3).map((r) => r.id));
      const kept = ob.append(telemetry(2));
      await ob.stop();
      const ob2 = makeOutbox(file);
      await ob2.start();
      expect(ob2.lease(10).map((r) => r.id)).toEqual(kept);
      const next = ob2.append(telemetry(1));
      const seq = (id: string) => Number(id.split(':')[1]);
      expect(seq(next[0]!)).toBe(seq(kept[1]!) + 1);
      expect(seq(first[0]!)).toBeLessThan(seq(kept[0]!));
      await ob2.stop();
    } finally {
      cleanup();
    }
  });
});
