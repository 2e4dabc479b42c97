import { makeOutbox, telemetry } from '../outbox/helpers';
import { captureLogger, makeUplink, startIngest, stopAll, waitFor } from '../uplink/helpers';
import { Mosquitto } from '../uplink/mosquitto';
import { LossyProxy } from '../uplink/proxy';

const MAX_PACKET = 20_000;

// Mosquitto's max_packet_size is announced to MQTT 5 clients in the CONNACK (Maximum Packet
// Size) and a larger PUBLISH makes it drop the connection (reason 0x95). The uplink used to send
// a ~55 kB backlog block as one message: dropped, re-sent on reconnect, dropped, forever.
describe('a broker with a Maximum Packet Size below the batch and block size (Mosquitto max_packet_size)', () => {
  it('splits blocks into messages that fit, delivers every record once in order, and holds only a class whose single record cannot fit', async () => {
    const mosq = new Mosquitto({ global: [`max_packet_size ${MAX_PACKET}`] });
    await mosq.start();
    const ingest = await startIngest(mosq.url, 'cloud-packet-size');
    const ob = makeOutbox();
    await ob.start();
    const up = makeUplink(ob, mosq.url, { protocolVersion: 5, reconnect: { initialMs: 200, maxMs: 1600 } });
    try {
      // 1,500 records of ~165 bytes: three blocks of 500 (~82 kB each), each above the limit
      const tele = ob.append(telemetry(1500, 'a1', 100));
      const blocks = ob.lease(10_000);
      expect(blocks.map((b) => b.body.length).every((n) => n > 4 * MAX_PACKET)).toBe(true);
      ob.release(blocks);
      await up.start();
      await waitFor(() => ingest.store.missing(tele).length === 0, 15_000, 'every telemetry record').catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(up.stats())}`);
      });
      await waitFor(() => up.stats().recordsSent === 1500, 5000, 'every PUBACK counted');
      const st = up.stats();
      expect(st.disconnects).toBe(0); // no packet over the limit ever reached the broker
      expect(st.publishRejected).toBe(0);
      expect(st.messagesSplit).toBe(3);
      expect(st.messagesSent).toBeGreaterThanOrEqual(3 * 5); // ~82 kB in parts under 20 kB
      expect(ingest.store.duplicates()).toBe(0);
      expect(ingest.store.orderViolations()).toBe(0);
      await waitFor(() => ob.stats().records === 0, 5000, 'acked in the outbox');

      // One event record larger than any packet the broker takes: its class is held and reported,
      // the record stays in the outbox, and the other classes keep flowing.
      const [huge] = ob.append([{ cls: 'event', asset: 'e1', payload: { blob: 'y'.repeat(30_000) } }]);
      await waitFor(() => up.stats().publishRejected >= 1, 5000, 'the oversize record refused');
      const more = ob.append(telemetry(200, 'a2', 100));
      await waitFor(() => ingest.store.missing(more).length === 0, 10_000, 'telemetry after the oversize record');
      expect(up.stats().publishRejected_0x95).toBe(up.stats().publishRejected);
      expect(up.stats().disconnects).toBe(0);
      // reported once refused three times in a row (RejectHold), ~1 s on this backoff
      await waitFor(() => !up.health().healthy, 10_000, 'health degraded');
      expect(up.health()).toMatchObject({ healthy: false, state: 'up' });
      expect(up.health().detail).toMatch(/class event \(reason 0x95\)/);
      expect(ingest.store.has(huge!)).toBe(false);
      expect(ob.stats().backlog_event).toBe(1);
    } finally {
      await stopAll(up, ob, ingest);
      await mosq.dispose();
    }
  });

  // The same broker behind a proxy that strips Maximum Packet Size from its CONNACK: a broker that
  // enforces a limit it does not announce. Each oversize publish makes it drop the link (DISCONNECT
  // 0x95); mqtt.js used to send the same message again after every reconnect, forever.
  it('when the limit is not announced, learns it from DISCONNECT 0x95, takes the messages in flight back, and delivers everything in order', async () => {
    const mosq = new Mosquitto({ global: [`max_packet_size ${MAX_PACKET}`] });
    await mosq.start();
    const proxy = new LossyProxy(mosq.port);
    proxy.hideMaximumPacketSize = true;
    await proxy.start();
    const ingest = await startIngest(mosq.url, 'cloud-packet-size-hidden');
    const ob = makeOutbox();
    await ob.start();
    const log = captureLogger();
    const up = makeUplink(ob, proxy.url, { protocolVersion: 5, reconnect: { initialMs: 100, maxMs: 800 } }, undefined, 'gw1', log.logger);
    try {
      const tele = ob.append(telemetry(1500, 'a1', 100));
      const events = ob.append(Array.from({ length: 300 }, (_, i) => ({ cls: 'event' as const, asset: 'e1', payload: { i, pad: 'z'.repeat(100) } })));
      await up.start();
      await waitFor(() => ingest.store.missing([...tele, ...events]).length === 0, 30_000, 'every record').catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(up.stats())}\n${log.lines.filter((l) => l.level >= 40).map((l) => JSON.stringify(l)).join('\n')}`);
      });
      const st = up.stats();
      // ~90 kB packets dropped, then ~45 kB, then ~22 kB, then parts of ~11 kB go through: three
      // DISCONNECTs 0x95. The proxy resets the client's side when the broker closes, which can lose
      // the DISCONNECT; mqtt.js then re-sends the same message and the next DISCONNECT arrives: up to
      // two drops per step (6 seen).
      const learned = log.lines.filter((l) => l.msg.includes('packet too large (0x95) that its CONNACK did not announce'));
      expect(learned.map((l) => l.limitBytes as number)).toEqual([...learned.map((l) => l.limitBytes as number)].sort((a, b) => b - a));
      expect(learned.length).toBeGreaterThanOrEqual(2);
      expect(learned.length).toBeLessThanOrEqual(4);
      expect(learned.at(-1)!.limitBytes as number).toBeLessThanOrEqual(20_000);
      expect(st.disconnects).toBeLessThanOrEqual(2 * learned.length);
      expect(st.publishRejected_0x95).toBeGreaterThanOrEqual(1);
      expect(st.messagesSplit).toBeGreaterThanOrEqual(3);
      expect(ingest.store.orderViolations()).toBe(0);
      await waitFor(() => ob.stats().records === 0, 5000, 'acked in the outbox');
      await waitFor(() => up.health().healthy, 10_000, 'healthy again once publishes are accepted');
    } finally {
      await stopAll(up, ob, proxy, ingest);
      await mosq.dispose();
    }
  });
});
