import { join } from 'node:path';
import { makeOutbox, produce, tempDir } from '../outbox/helpers';
import { makeUplink, sleep, startIngest, waitFor } from '../uplink/helpers';
import { Mosquitto } from '../uplink/mosquitto';

const OUTAGE_S = Number(process.env.PDM_OUTAGE_SECONDS ?? 60);
const RATE = 2000;

/** MQTT 5 runs on a file outbox with uplink.readAhead (blocks read on a worker thread), 3.1.1 on `:memory:`. */
describe('Outage against a real Mosquitto', () => {
  const { dir, cleanup } = tempDir('pdm-outage-');
  afterAll(cleanup);
  const running: { stop(): Promise<void> }[] = [];
  let mosq: Mosquitto;
  afterEach(async () => {
    for (const m of running.splice(0).reverse()) await m.stop();
    await mosq.dispose();
  });

  for (const protocolVersion of [5, 4] as const) {
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: broker down ${protocolVersion === 5 ? OUTAGE_S : 5} s under ${RATE} records/s, zero loss, order kept per class and asset`, async () => {
      const outage = protocolVersion === 5 ? OUTAGE_S : 5;
      mosq = new Mosquitto();
      await mosq.start();
      const ingest = await startIngest(mosq.url, `cloud-${protocolVersion}`);
      running.push(ingest);
      const ob = makeOutbox(protocolVersion === 5 ? join(dir, 'outbox.db') : ':memory:');
      await ob.start();
      running.push(ob);
      const up = makeUplink(ob, mosq.url, { protocolVersion, reconnect: { initialMs: 200, maxMs: 2000 }, readAhead: protocolVersion === 5 });
      await up.start();
      running.push(up);
      await waitFor(() => up.stats().state === 'up', 5000, 'uplink up');
      const t0 = Date.now();
      const producer = produce(ob, RATE, { alarmEvery: 500, assets: 4, prefix: 'm' });
      const { appended } = producer;
      try {
        await sleep(3000);
        await mosq.stop();
        await sleep(outage * 1000);
        expect(up.stats().state).toBe('down');
        const backlog = ob.stats().records;
        await mosq.start();
        await sleep(3000);
        producer.stop();
        const secs = (Date.now() - t0) / 1000;
        await waitFor(() => ob.stats().records === 0 && ingest.store.count() >= appended.length, 60_000, 'drain').catch((e: Error) => {
          throw new Error(`${e.message}: uplink ${JSON.stringify(up.stats())} ingest ${JSON.stringify(ingest.stats())}`);
        });
        expect(appended.length).toBeGreaterThan(RATE * secs * 0.95);
        expect(backlog).toBeGreaterThan(RATE * outage * 0.8);
        expect(ingest.store.missing(appended)).toEqual([]);
        expect(ingest.store.count()).toBe(appended.length);
        expect(ingest.store.orderViolations()).toBe(0);
        if (protocolVersion === 5) expect(ob.stats().readAheadBlocks).toBeGreaterThan(0);
        process.stdout.write(`mosquitto MQTT ${protocolVersion} outage ${outage} s: ${appended.length} records in ${secs.toFixed(1)} s, backlog at restart ${backlog}, duplicates ${ingest.store.duplicates()}\n`);
      } finally {
        producer.stop();
      }
    });
  }
});
