/** @jest-environment ./test/ml/ort-environment.js */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gateway } from '../../src/gateway';
import { forwardOutboxAlarms, type OutboxAlarmEvent } from '../../src/outbox';
import { silentLogger } from '../../src/observability/logger';
import { demoConfig } from '../gateway/demo-config';
import { startBroker, startIngest, waitFor } from '../uplink/helpers';
import { makeOutbox, recordsOf, tempDir } from './helpers';

const tick = () => new Promise((r) => setImmediate(r));

describe('outbox alarms as event records', () => {
  const tmp = tempDir('pdm-alarm-events-');
  afterAll(() => tmp.cleanup());

  it('a corrupt file moved aside at start becomes an event record of asset gateway', async () => {
    const file = join(tmp.dir, 'bad.db');
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const ob = makeOutbox(file);
    forwardOutboxAlarms(ob, silentLogger());
    await ob.start();
    await tick();
    const events = recordsOf(ob.lease(100, { classes: ['event'] }));
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toEqual({ kind: 'outbox-alarm', detail: expect.stringMatching(/bad\.db: corrupt database moved aside to .*bad\.db\.corrupt-/) } satisfies OutboxAlarmEvent);
    expect(ob.stats().backlog_event).toBe(1);
    await ob.stop();
  });

  it('on a disk that stays full, storing the alarms never loops (an alarm raised by that store is not forwarded)', async () => {
    const ob = makeOutbox(join(tmp.dir, 'full.db'), { maxFileBytes: 256 * 1024 });
    let alarms = 0;
    ob.on('alarm', () => alarms++);
    forwardOutboxAlarms(ob, silentLogger());
    await ob.start();
    // Protected records until the disk is full and nothing can be evicted.
    let refused = 0;
    for (let i = 0; i < 1000 && refused < 3; i++) {
      try {
        ob.append([{ cls: 'alarm', asset: 'p1', payload: { i, pad: 'q'.repeat(500) } }]);
      } catch {
        refused++;
      }
      await tick();
    }
    expect(refused).toBe(3);
    const seen = alarms;
    for (let i = 0; i < 20; i++) await tick();
    // Every alarm counted so far came from a refused append or a stored event; none from a loop.
    expect(alarms).toBe(seen);
    expect(alarms).toBeLessThanOrEqual(ob.stats().diskFullEvents);
    await ob.stop();
  });

  it('through the gateway: a corrupt outbox at start reaches the cloud as an event record', async () => {
    const broker = await startBroker();
    const ingest = await startIngest(broker.url, 'cloud-gw-alarm');
    const cfg = await demoConfig();
    const c = cfg.config;
    c.simulator.enabled = false;
    c.broker.enabled = false;
    c.observability.http.enabled = false;
    c.sources = [];
    c.assets = [];
    c.uplink = { ...c.uplink!, url: broker.url, protocolVersion: 4 };
    writeFileSync(join(cfg.dataDir, c.outbox.path), Buffer.alloc(8192, 0x5a));
    const gw = new Gateway(cfg, { logger: silentLogger(), statusWriter: () => undefined });
    try {
      await gw.start();
      await waitFor(() => ingest.store.count('event') === 1, 10_000, 'the event at the cloud');
      const [event] = ingest.store.payloads('event', 'gateway') as OutboxAlarmEvent[];
      expect(event).toMatchObject({ kind: 'outbox-alarm', detail: expect.stringMatching(/corrupt database moved aside/) });
      expect(gw.outbox.stats().corruptRecovered).toBe(1);
    } finally {
      await gw.stop();
      await ingest.stop();
      await broker.stop();
    }
  }, 60_000);
});
