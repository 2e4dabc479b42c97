import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seqOf, type NewRecord } from '../../src/outbox';
import { makeOutbox } from '../outbox/helpers';
import { makeUplink, startIngest, waitFor } from '../uplink/helpers';
import { Mosquitto } from '../uplink/mosquitto';

describe('Full disk (1 MB page-count cap) with the broker away, then drained to Mosquitto', () => {
  it('keeps running, keeps every alarm, and the cloud can account for every telemetry record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-full-'));
    const mosq = new Mosquitto();
    await mosq.start();
    const ingest = await startIngest(mosq.url, 'cloud-full');
    await mosq.stop(); // the uplink starts into an outage
    const ob = makeOutbox(join(dir, 'outbox.db'), { maxFileBytes: 1024 * 1024 });
    await ob.start();
    const up = makeUplink(ob, mosq.url, { protocolVersion: 5 });
    await up.start();
    try {
      const alarms: string[] = [];
      const tele: { id: string; asset: string }[] = [];
      for (let b = 0; b < 400; b++) {
        const batch: NewRecord[] = [{ cls: 'alarm', asset: `m${b % 3}`, payload: { b } }];
        for (let i = 0; i < 50; i++) batch.push({ cls: 'telemetry', asset: `m${i % 3}`, payload: { b, i, v: 'x'.repeat(100) } });
        const ids = ob.append(batch); // never throws: telemetry can always make room
        alarms.push(ids[0]!);
        ids.slice(1).forEach((id, i) => tele.push({ id, asset: `m${i % 3}` }));
      }
      const s = ob.stats();
      expect(s.diskFullEvents).toBeGreaterThan(0);
      expect(s.evicted_telemetry).toBeGreaterThan(5000);
      expect(s.evicted_alarm).toBe(0);
      expect(ob.health()).toMatchObject({ healthy: false });
      expect(ob.health().detail).toMatch(/database or disk full/);

      await mosq.start();
      await waitFor(() => ob.stats().records === 0, 60_000, 'drain');
      await waitFor(() => ingest.store.count() >= ob.stats().appended - s.evicted + ob.stats().gapRecords, 30_000, 'cloud caught up');
      expect(ingest.store.missing(alarms)).toEqual([]);
      const gaps = ingest.store.gaps();
      expect(gaps.length).toBe(ob.stats().gapRecords);
      expect(gaps.every((g) => g.cls === 'telemetry' && g.reason === 'disk-full')).toBe(true);
      // Every telemetry record is either at the cloud or inside a reported gap of its asset.
      const arrived = new Set(tele.map((t) => t.id).filter((id) => !ingest.store.missing([id]).length));
      const unexplained = tele.filter((t) => !arrived.has(t.id) && !gaps.some((g) => g.asset === t.asset && seqOf(g.firstId)! <= seqOf(t.id)! && seqOf(t.id)! <= seqOf(g.lastId)!));
      expect(unexplained).toEqual([]);
      expect(arrived.size + gaps.reduce((a, g) => a + g.count, 0)).toBe(tele.length);
      process.stdout.write(`full disk: ${tele.length} telemetry + ${alarms.length} alarms appended, ${s.diskFullEvents} SQLITE_FULL, ${arrived.size} telemetry at the cloud, ${gaps.length} gap records covering ${tele.length - arrived.size}\n`);
    } finally {
      await up.stop();
      await ob.stop();
      await ingest.stop();
      await mosq.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
