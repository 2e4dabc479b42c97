import mqtt from 'mqtt';
import { signCommand, type CommandReply } from '../../src/uplink';
import { makeOutbox, telemetry } from '../outbox/helpers';
import { makeUplink, startIngest, waitFor } from '../uplink/helpers';
import { Mosquitto } from '../uplink/mosquitto';
import { LossyProxy } from '../uplink/proxy';

const KEY = 'k'.repeat(32);
const BASE = 'pdm/v1/s1/gw1';

describe('persistent session and last will against Mosquitto (MQTT 5)', () => {
  it('a command published while the uplink is cut off is delivered on reconnect and answered; a new subscriber meanwhile gets the retained offline will', async () => {
    const mosq = new Mosquitto();
    await mosq.start();
    const proxy = new LossyProxy(mosq.port);
    await proxy.start();
    const ingest = await startIngest(mosq.url, 'cloud-session');
    const ob = makeOutbox();
    await ob.start();
    const up = makeUplink(ob, proxy.url, { protocolVersion: 5, reconnect: { initialMs: 100, maxMs: 300 }, downlink: { allow: ['ping'], hmacKey: KEY } });
    const cloud = await mqtt.connectAsync(mosq.url, { protocolVersion: 5 });
    const replies: CommandReply[] = [];
    cloud.on('message', (_t, p) => replies.push(JSON.parse(p.toString()) as CommandReply));
    await cloud.subscribeAsync(`${BASE}/cmd/reply`, { qos: 1 });
    const ping = (id: string) => {
      const ts = Date.now();
      return cloud.publishAsync(`${BASE}/cmd`, JSON.stringify({ schema: 1, id, cmd: 'ping', ts, sig: signCommand(KEY, { id, cmd: 'ping', ts }) }), { qos: 1 });
    };
    const watchers: mqtt.MqttClient[] = [];
    const watcher = async () => {
      const c = await mqtt.connectAsync(mosq.url, { protocolVersion: 5 });
      watchers.push(c);
      const got: { state: string; retain: boolean }[] = [];
      c.on('message', (_t, p, packet) => got.push({ state: (JSON.parse(p.toString()) as { state: string }).state, retain: packet.retain }));
      await c.subscribeAsync(`${BASE}/status`, { qos: 1 });
      return { c, got };
    };
    try {
      await up.start();
      await waitFor(() => up.stats().state === 'up', 10_000, 'uplink up');
      await ping('before');
      await waitFor(() => replies.some((r) => r.id === 'before'), 5000, 'a reply while online (subscribed)');

      // The link dies: the broker sees the connection drop and publishes the retained will.
      await proxy.stop();
      await waitFor(() => up.stats().state === 'down', 5000, 'uplink down');
      const w1 = await watcher();
      await waitFor(() => w1.got.length > 0, 5000, 'the retained status');
      expect(w1.got[0]).toEqual({ state: 'offline', retain: true });
      await w1.c.endAsync(true);

      // Published while the uplink is away: queued in its persistent session (clean=false).
      await ping('while-offline');
      const ids = ob.append(telemetry(20));
      await proxy.start();
      await waitFor(() => replies.some((r) => r.id === 'while-offline'), 10_000, 'the reply to the command sent while offline');
      expect(replies.find((r) => r.id === 'while-offline')).toMatchObject({ ok: true, result: { pong: expect.any(Number) } });
      expect(up.stats()).toMatchObject({ connects: 2, commands: 2, commandsRejected: 0 });
      await waitFor(() => ingest.store.missing(ids).length === 0, 5000, 'records after the reconnect');
      const w2 = await watcher();
      await waitFor(() => w2.got.length > 0, 5000, 'the retained status again');
      expect(w2.got[0]).toEqual({ state: 'online', retain: true });
      await w2.c.endAsync(true);
    } finally {
      for (const c of watchers) await c.endAsync(true); // closed already when the test passed: a no-op
      await cloud.endAsync(true);
      await up.stop();
      await ob.stop();
      await ingest.stop();
      await proxy.stop();
      await mosq.dispose();
    }
  });
});
