import { inflightWindow } from '../../src/uplink/client-options';
import { makeOutbox, telemetry } from '../outbox/helpers';
import { makeUplink, startIngest, stopAll, waitFor } from '../uplink/helpers';
import { Mosquitto } from '../uplink/mosquitto';
import { LossyProxy } from '../uplink/proxy';

describe('in-flight window and the broker Receive Maximum (MQTT 5)', () => {
  it('inflightWindow: the configured window, or the Receive Maximum less the slot kept for status and replies', () => {
    expect(inflightWindow(16, undefined)).toBe(16);
    expect(inflightWindow(16, 65535)).toBe(16);
    expect(inflightWindow(16, 10)).toBe(9);
    expect(inflightWindow(4, 10)).toBe(4);
    expect(inflightWindow(16, 1)).toBe(1);
  });

  // Mosquitto advertises `max_inflight_messages` as Receive Maximum in its MQTT 5 CONNACK.
  it.each([
    ['a broker advertising Receive Maximum 3', 2, ['max_inflight_messages 3']],
    ['a broker advertising none', 16, []],
  ])('against %s the window is %i', async (_what, window, global) => {
    const mosq = new Mosquitto({ persistence: false, global });
    await mosq.start();
    const ingest = await startIngest(mosq.url);
    const ob = makeOutbox();
    await ob.start();
    const up = makeUplink(ob, mosq.url, { protocolVersion: 5, inflight: 16, batch: { maxRecords: 10, maxDelayMs: 0 } });
    try {
      // 60 blocks of 10 records: 60 messages, enough to fill any window.
      const ids = Array.from({ length: 60 }, () => ob.append(telemetry(10))).flat();
      await up.start();
      await waitFor(() => ingest.store.count() >= ids.length && up.stats().messagesSent >= 60, 15_000, 'every record at the ingest, every PUBACK in');
      expect(ingest.store.missing(ids)).toEqual([]);
      const st = up.stats();
      expect(st.inflightLimit).toBe(window);
      expect(st.messagesSent).toBe(60);
      // The first pump fills the window from the backlog at once, never beyond it.
      expect(st.inflightPeak).toBe(window);
    } finally {
      await up.stop();
      await ob.stop();
      await ingest.stop();
      await mosq.dispose();
    }
  });
});

describe('a broker back with a lower Receive Maximum', () => {
  it('gets the messages left in flight one at a time, then the new window: everything arrives, no reconnect loop', async () => {
    const mosq = new Mosquitto();
    await mosq.start();
    const ingest = await startIngest(mosq.url);
    const proxy = new LossyProxy(mosq.port);
    await proxy.start();
    const ob = makeOutbox();
    await ob.start();
    const up = makeUplink(ob, proxy.url, { protocolVersion: 5, inflight: 16, batch: { maxRecords: 10, maxDelayMs: 0 } });
    try {
      await up.start();
      await waitFor(() => up.stats().state === 'up', 10_000, 'uplink up');
      // The link dies silently: 16 messages go out and stay unacknowledged.
      proxy.hold();
      const ids = Array.from({ length: 60 }, () => ob.append(telemetry(10))).flat();
      await waitFor(() => up.stats().inflight === 16, 10_000, 'a full window in flight');
      expect(up.stats().inflightLimit).toBe(16);
      // The broker restarts advertising Receive Maximum 3; the dead connections are reset.
      await mosq.stop();
      mosq.reconfigure({ global: ['max_inflight_messages 3'] });
      await mosq.start();
      proxy.cut();
      await waitFor(() => ingest.store.count() >= ids.length && up.stats().backlog === 0, 30_000, 'every record at the ingest');
      expect(ingest.store.missing(ids)).toEqual([]);
      const st = up.stats();
      expect(st.inflightLimit).toBe(2);
      expect(st.connects).toBe(2);
      // Counted on the wire (Mosquitto does not enforce its maximum itself): the first connection
      // had 16 publishes out; on the new one mqtt.js re-sent those one after another, then the
      // window of 2 plus the retained 'online' status never exceeded the broker's 3.
      const last = proxy.taps[proxy.taps.length - 1]!;
      expect(last.peak).toBeGreaterThan(0);
      expect(last.peak).toBeLessThanOrEqual(3);
      expect(last.outstanding).toBe(0);
    } finally {
      await stopAll(up, ob, proxy, ingest);
      await mosq.dispose();
    }
  });
});
