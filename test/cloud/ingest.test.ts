import { join } from 'node:path';
import mqtt from 'mqtt';
import { IngestStore } from '../../src/cloud/ingest';
import type { UplinkMessage } from '../../src/uplink';
import { tempDir } from '../outbox/helpers';
import { startBroker, startIngest, waitFor } from '../uplink/helpers';

const message = (first: number, n: number, cls: UplinkMessage['class'] = 'telemetry'): UplinkMessage => ({
  schema: 1,
  gateway: 'gw1',
  site: 's1',
  class: cls,
  asset: 'a1',
  records: Array.from({ length: n }, (_, i) => ({ id: `gw1:${first + i}`, ts: 1_700_000_000_000 + i, payload: { i } })),
});

describe('IngestStore (a real SQLite file)', () => {
  const tmp = tempDir('pdm-ingest-');
  afterAll(() => tmp.cleanup());

  it('deduplicates by record id: the same message twice counts n duplicates and stores nothing new, across a reopen', () => {
    const file = join(tmp.dir, 'dedup.db');
    const store = new IngestStore(file);
    expect(store.ingest(message(1, 5))).toEqual({ records: 5, duplicates: 0, gaps: 0 });
    expect(store.ingest(message(1, 5))).toEqual({ records: 0, duplicates: 5, gaps: 0 });
    // Overlapping: 3 seen, 2 new.
    expect(store.ingest(message(3, 5))).toEqual({ records: 2, duplicates: 3, gaps: 0 });
    expect(store.count()).toBe(7);
    expect(store.duplicates()).toBe(8);
    store.close();
    const again = new IngestStore(file);
    expect(again.ingest(message(1, 2))).toEqual({ records: 0, duplicates: 2, gaps: 0 });
    expect(again.count()).toBe(7);
    expect(again.duplicates()).toBe(10);
    // Arrival numbers ascend in the order first received (not dense: an ignored insert uses one).
    const arrivals = [1, 2, 3, 4, 5, 6, 7].map((i) => again.arrival(`gw1:${i}`)!);
    expect(arrivals).toEqual([...arrivals].sort((a, b) => a - b));
    expect(new Set(arrivals).size).toBe(7);
    expect(again.arrival('gw1:99')).toBeUndefined();
    again.close();
  });

  it('records a gap once however often its record arrives', () => {
    const store = new IngestStore(join(tmp.dir, 'gaps.db'));
    const gap = { cls: 'telemetry', asset: 'a1', reason: 'cap', firstId: 'gw1:10', lastId: 'gw1:19', count: 10, bytes: 1000, firstTs: 5, lastTs: 9 };
    const m: UplinkMessage = { ...message(0, 0, 'gap'), records: [{ id: 'gw1:50', ts: 1, payload: gap }] };
    expect(store.ingest(m)).toEqual({ records: 1, duplicates: 0, gaps: 1 });
    expect(store.ingest(m)).toEqual({ records: 0, duplicates: 1, gaps: 0 });
    expect(store.gaps()).toEqual([{ gateway: 'gw1', id: 'gw1:50', cls: 'telemetry', asset: 'a1', reason: 'cap', firstId: 'gw1:10', lastId: 'gw1:19', count: 10, firstTs: 5, lastTs: 9, keptEvery: null }]);
    store.close();
  });
});

describe('CloudIngest on the embedded broker', () => {
  it('counts a re-delivered message as duplicates and a malformed body as malformed, storing neither', async () => {
    const broker = await startBroker();
    const ingest = await startIngest(broker.url, 'cloud-dedup');
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    try {
      const topic = 'pdm/v1/s1/gw1/telemetry/a1';
      const body = JSON.stringify(message(1, 4));
      await pub.publishAsync(topic, body, { qos: 1 });
      await pub.publishAsync(topic, body, { qos: 1 });
      await waitFor(() => ingest.stats().messages === 2, 3000, 'two messages');
      expect(ingest.stats()).toMatchObject({ records: 4, duplicates: 4, malformed: 0 });
      await pub.publishAsync(topic, '{"schema":1,"records":', { qos: 1 });
      await pub.publishAsync(topic, JSON.stringify({ ...message(10, 1), schema: 2 }), { qos: 1 });
      await waitFor(() => ingest.stats().malformed === 2, 3000, 'two malformed');
      expect(ingest.stats()).toMatchObject({ messages: 2, records: 4, duplicates: 4 });
      expect(ingest.store.count()).toBe(4);
      expect(ingest.store.duplicates()).toBe(4);
    } finally {
      await pub.endAsync(true);
      await ingest.stop();
      await broker.stop();
    }
  });
});
