import { makeOutbox, telemetry } from '../outbox/helpers';
import { makeUplink, sleep, startBroker, startIngest, waitFor } from './helpers';
import { LossyProxy } from './proxy';

/** An embedded broker, a cloud ingest on it, a lossy proxy in front of it, an outbox and an uplink through the proxy (not started). */
async function rig(ingestId: string, cfg: Parameters<typeof makeUplink>[2]) {
  const broker = await startBroker();
  const ingest = await startIngest(broker.url, ingestId);
  const proxy = new LossyProxy(broker.port);
  await proxy.start();
  const ob = makeOutbox();
  await ob.start();
  const up = makeUplink(ob, proxy.url, cfg);
  const dispose = async () => {
    await up.stop();
    await ob.stop();
    await proxy.stop();
    await ingest.stop();
    await broker.stop();
  };
  return { ingest, proxy, ob, up, dispose };
}

describe('Uplink regressions', () => {
  // mqtt.js' public reconnect() starts with fresh (empty) stores unless it is handed the old
  // ones, so QoS 1 messages in flight when the link broke were never re-sent and their records
  // stayed leased forever. Seen as "3 messages in flight, never acked" after a broker outage.
  it('re-sends messages that were in flight when the link broke (reconnect keeps the mqtt.js stores)', async () => {
    const { ingest, proxy, ob, up, dispose } = await rig('cloud-regression', { reconnect: { initialMs: 50, maxMs: 100 }, ackTimeoutMs: 1000 });
    await up.start();
    try {
      await waitFor(() => up.stats().state === 'up', 5000, 'up');
      const all: string[] = [];
      for (let round = 0; round < 3; round++) {
        const connects = up.stats().connects;
        proxy.hold(); // publishes from here on are lost on the wire
        all.push(...ob.append(telemetry(300, `a${round}`)));
        await waitFor(() => up.stats().inflight > 0, 2000, 'publishing');
        await sleep(100);
        proxy.cut();
        await waitFor(() => up.stats().connects === connects + 1, 5000, 'reconnected');
      }
      await waitFor(() => ob.stats().records === 0, 10_000, 'every in-flight record acked').catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(up.stats())}`);
      });
      await waitFor(() => ingest.store.missing(all).length === 0, 5000, 'all at the cloud');
      expect(ingest.store.duplicates()).toBe(0);
      expect(up.stats().ackTimeouts).toBe(0);

      // A link that dies without a TCP reset: no PUBACK ever comes, the watchdog reconnects.
      const connects = up.stats().connects;
      proxy.hold();
      const late = ob.append(telemetry(50, 'late'));
      await waitFor(() => ingest.store.missing(late).length === 0, 10_000, 'records after the watchdog reconnect');
      expect(up.stats()).toMatchObject({ ackTimeouts: 1, connects: connects + 1 });
    } finally {
      await dispose();
    }
  });

  // The outbox must not ack what the broker has not acknowledged: an ack on publish (or at
  // QoS 0) would lose every record in flight when the link dies.
  it('acks records in the outbox only after the broker\'s PUBACK', async () => {
    const { ingest, proxy, ob, up, dispose } = await rig('cloud-puback', { reconnect: { initialMs: 50, maxMs: 100 } });
    await up.start();
    try {
      await waitFor(() => up.stats().state === 'up', 5000, 'up');
      proxy.hold(); // publishes from here on never reach the broker: no PUBACK
      const ids = ob.append(telemetry(200, 'held'));
      await waitFor(() => up.stats().inflight > 0, 2000, 'publishing');
      const acked = ob.stats().acked;
      await sleep(1000);
      expect(up.stats().inflight).toBeGreaterThan(0);
      expect(ob.stats()).toMatchObject({ acked, records: 200, leased: 200 });
      expect(ingest.store.missing(ids)).toEqual(ids);
      proxy.cut(); // mqtt.js re-sends on the new connection; the PUBACKs come then
      await waitFor(() => ob.stats().records === 0, 10_000, 'acked after the PUBACKs');
      expect(ob.stats().acked).toBe(acked + 200);
      expect(ingest.store.missing(ids)).toEqual([]);
    } finally {
      await dispose();
    }
  });

  // The watchdog once judged each message alone: on a slow link a large window's last message
  // waits longer than ackTimeoutMs although PUBACKs keep coming, and every such wait forced a
  // reconnect and a re-send of the whole window.
  it('a slow link that keeps acking is not taken for a dead one, however long the window takes', async () => {
    // 40 messages of ~4.5 kB in one window through 60 kB/s: the last PUBACK comes ~3 s after its
    // publish, three times ackTimeoutMs, while some PUBACK arrives every ~75 ms.
    const { ingest, proxy, ob, up, dispose } = await rig('cloud-slow', { inflight: 40, ackTimeoutMs: 1000, batch: { maxRecords: 50, maxDelayMs: 0 } });
    proxy.throttle(60_000);
    await up.start();
    try {
      const ids = Array.from({ length: 40 }, (_, i) => ob.append(telemetry(50, `s${i}`))).flat();
      await waitFor(() => ingest.store.missing(ids).length === 0 && ob.stats().records === 0, 20_000, 'every record over the slow link');
      expect(up.stats()).toMatchObject({ ackTimeouts: 0, connects: 1, messagesSent: 40 });
      expect(up.stats().inflightPeak).toBe(40);
      expect(ingest.store.duplicates()).toBe(0);
    } finally {
      await dispose();
    }
  });

  // Idle time is not a stall: the watchdog's clock starts again when a message goes out into an
  // empty window, or the first message after a quiet spell would find the last PUBACK long past.
  it('a message sent after an idle spell longer than ackTimeoutMs is given its full timeout', async () => {
    const { ingest, proxy, ob, up, dispose } = await rig('cloud-idle', { ackTimeoutMs: 1000 });
    await up.start();
    try {
      await waitFor(() => up.stats().state === 'up', 5000, 'up');
      await sleep(1600); // idle, connected: the watchdog looks every 500 ms
      // ~14 kB through 20 kB/s: in flight ~0.7 s, under the timeout, over a watchdog look.
      proxy.throttle(20_000);
      const ids = ob.append(telemetry(140, 'after-idle'));
      await waitFor(() => ingest.store.missing(ids).length === 0 && ob.stats().records === 0, 10_000, 'the message after the idle spell');
      expect(up.stats()).toMatchObject({ ackTimeouts: 0, connects: 1, messagesSent: 1 });
    } finally {
      await dispose();
    }
  });
});
