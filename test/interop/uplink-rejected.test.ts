import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeOutbox, telemetry } from '../outbox/helpers';
import { makeUplink, sleep, startIngest, waitFor } from '../uplink/helpers';
import { Mosquitto } from '../uplink/mosquitto';

const INITIAL_MS = 200;

/** Mosquitto ACL: everything under pdm/v1, less (when `denyEvents`) gw1's event topics. */
function writeAcl(file: string, denyEvents: boolean): void {
  writeFileSync(file, ['topic readwrite pdm/v1/#', ...(denyEvents ? ['topic deny pdm/v1/s1/gw1/event/#'] : []), ''].join('\n'));
}

// Mosquitto 2 answers an MQTT 5 publish its ACL denies with PUBACK reason code 0x87 (not
// authorised), which mqtt.js reports as a publish error. The uplink once released the records
// and published them again at once: a loop as fast as the broker answered.
describe('a publish the broker refuses (MQTT 5 PUBACK 0x87)', () => {
  it('holds that class on a growing backoff, counts the refusals, reports unhealthy, keeps other classes flowing, and delivers everything once allowed', async () => {
    const mosq = new Mosquitto();
    const acl = join(mosq.dir, 'acl');
    writeAcl(acl, true);
    mosq.reconfigure({ global: [`acl_file ${acl}`] });
    await mosq.start();
    const ingest = await startIngest(mosq.url, 'cloud-acl');
    const ob = makeOutbox();
    await ob.start();
    const up = makeUplink(ob, mosq.url, { protocolVersion: 5, reconnect: { initialMs: INITIAL_MS, maxMs: 1600 } });
    let up2: ReturnType<typeof makeUplink> | undefined;
    try {
      await up.start();
      await waitFor(() => up.stats().state === 'up', 10_000, 'uplink up');
      const events = ob.append(Array.from({ length: 20 }, (_, i) => ({ cls: 'event' as const, asset: 'e1', payload: { i } })));
      const tele = ob.append(telemetry(100, 'a1'));
      await waitFor(() => up.stats().publishRejected >= 1, 5000, 'the first refusal');

      // Watch the refusals for 6 s: on the backoff (200 ms doubling to 1.6 s, jittered) about
      // 8; retried at once it was thousands.
      const times: number[] = [Date.now()];
      let seen = up.stats().publishRejected;
      const end = Date.now() + 6000;
      const more: string[] = [];
      while (Date.now() < end) {
        await sleep(10);
        const n = up.stats().publishRejected;
        if (n > seen) times.push(...Array<number>(n - seen).fill(Date.now()));
        seen = n;
        if (more.length === 0 && Date.now() > end - 3000) more.push(...ob.append(telemetry(50, 'a2')));
      }
      const attempts = times.length - 1;
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect(attempts).toBeLessThanOrEqual(15);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      // the hold starts from initialMs (full jitter: 0-200 ms), not the 1.6 s ceiling; the rest is
      // the refusal's round trip, which took up to 380 ms on a loaded CI machine
      expect(gaps[0]!).toBeLessThan(3 * INITIAL_MS);
      expect(Math.max(...gaps)).toBeGreaterThan(2 * INITIAL_MS);

      const st = up.stats();
      expect(st.publishRejected).toBeGreaterThanOrEqual(4);
      expect(st.publishRejected_0x87).toBe(st.publishRejected);
      // Mosquitto 2.0.11 sometimes drops the connection after a denied publish ("Bad socket
      // read/write"); the uplink reconnects and the count of refusals in a row carries on.
      await waitFor(() => up.health().state === 'up', 5000, 'uplink up again');
      expect(up.health()).toMatchObject({ healthy: false, state: 'up' });
      expect(up.health().detail).toMatch(/refused the last \d+ publishes of class event \(reason 0x87\)/);
      // Telemetry, before and during the refusals, went through; no event did.
      await waitFor(() => ingest.store.missing([...tele, ...more]).length === 0, 5000, 'telemetry during the refusals');
      expect(ingest.store.count('event')).toBe(0);
      expect(ob.stats().backlog_event).toBe(events.length);

      // The topic is allowed again (broker restarted with the new ACL). The gateway is restarted
      // after the cloud subscriber is back: a publish that reaches the restarted Mosquitto before
      // the subscriber's persistent session reconnects was acked and not queued for it (seen
      // in 1 run of 5), a broker matter that this test is not about.
      await up.stop();
      await mosq.stop();
      writeAcl(acl, false);
      await mosq.start();
      await waitFor(() => ingest.stats().state === 'up', 10_000, 'cloud subscriber back');
      up2 = makeUplink(ob, mosq.url, { protocolVersion: 5, reconnect: { initialMs: INITIAL_MS, maxMs: 1600 } });
      const again = up2;
      await again.start();
      await waitFor(() => ingest.store.missing(events).length === 0 && ob.stats().records === 0, 15_000, 'the events once allowed').catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(again.stats())}`);
      });
      expect(ingest.store.payloads('event', 'e1')).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
      expect(ingest.store.orderViolations()).toBe(0);
      expect(again.health()).toEqual({ healthy: true, state: 'up' });
      expect(again.stats().publishRejected).toBe(0);
    } finally {
      await up2?.stop();
      await up.stop();
      await ob.stop();
      await ingest.stop();
      await mosq.dispose();
    }
  });
});
