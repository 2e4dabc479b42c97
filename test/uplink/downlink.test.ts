import mqtt, { type MqttClient } from 'mqtt';
import { makeOutbox } from '../outbox/helpers';
import { captureLogger, makeUplink, startBroker, waitFor } from './helpers';
import { signCommand, type CommandReply } from '../../src/uplink';
import type { EmbeddedBroker } from '../../src/broker';
import type { Outbox } from '../../src/outbox';
import type { Uplink } from '../../src/uplink';

const KEY = 'k'.repeat(32);

describe('Downlink commands', () => {
  let broker: EmbeddedBroker;
  let ob: Outbox;
  let up: Uplink;
  let cloud: MqttClient;
  const replies: CommandReply[] = [];
  let acted = 0;
  const log = captureLogger();

  beforeAll(async () => {
    broker = await startBroker();
    ob = makeOutbox();
    await ob.start();
    up = makeUplink(ob, broker.url, { downlink: { allow: ['ping', 'stats', 'reboot-sensor'], hmacKey: KEY } }, undefined, 'gw1', log.logger);
    up.registerCommand('reboot-sensor', (args) => {
      acted++;
      return { rebooted: args.sensor };
    });
    up.registerCommand('format-disk', () => {
      acted += 100;
    });
    await up.start();
    await waitFor(() => up.stats().state === 'up', 5000, 'uplink up');
    cloud = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    cloud.on('message', (_t, p) => replies.push(JSON.parse(p.toString()) as CommandReply));
    await cloud.subscribeAsync('pdm/v1/s1/gw1/cmd/reply', { qos: 1 });
  });

  afterAll(async () => {
    await cloud.endAsync(true);
    await up.stop();
    await ob.stop();
    await broker.stop();
  });

  const send = (body: unknown) => cloud.publishAsync('pdm/v1/s1/gw1/cmd', typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
  const signed = (id: string, cmd: string, args?: Record<string, unknown>, ts = Date.now()) => ({ schema: 1, id, cmd, ts, ...(args ? { args } : {}), sig: signCommand(KEY, { id, cmd, ts, args }) });

  it('runs a signed, allowed command and replies', async () => {
    await send(signed('c1', 'reboot-sensor', { sensor: 'vib-3' }));
    await waitFor(() => replies.some((r) => r.id === 'c1'), 3000, 'reply c1');
    expect(replies.find((r) => r.id === 'c1')).toEqual({ schema: 1, id: 'c1', ok: true, result: { rebooted: 'vib-3' } });
    expect(acted).toBe(1);
  });

  it('rejects, counts and never acts on malformed or unauthorised commands', async () => {
    const before = up.stats();
    await send('not json {');
    await send({ schema: 2, id: 'x', cmd: 'ping' });
    await send({ schema: 1, id: 'c2', cmd: 'format-disk', ts: Date.now(), sig: 'ab'.repeat(32) });
    await send(signed('c3', 'format-disk'));
    await send({ schema: 1, id: 'c4', cmd: 'ping' });
    const bad = signed('c5', 'reboot-sensor', { sensor: 'a' });
    await send({ ...bad, args: { sensor: 'b' } });
    await send(signed('c6', 'ping', undefined, Date.now() - 3_600_000));
    await send(signed('c1', 'reboot-sensor', { sensor: 'vib-3' }));
    await waitFor(() => up.stats().commandsRejected - before.commandsRejected === 6, 3000, 'six rejections');
    const after = up.stats();
    expect(after.commandsMalformed - before.commandsMalformed).toBe(2);
    expect(after.commands).toBe(before.commands);
    expect(acted).toBe(1);
    await waitFor(() => replies.length >= 7, 3000, 'rejection replies');
    const err = (id: string) => replies.filter((r) => r.id === id).map((r) => r.error);
    expect(err('c2')).toEqual(['rejected: command "format-disk" is not in uplink.downlink.allow']);
    expect(err('c4')).toEqual(['rejected: unsigned (ts and sig are required)']);
    expect(err('c5')).toEqual(['rejected: bad signature']);
    expect(err('c6')[0]).toMatch(/^rejected: stale/);
    expect(err('c1')).toEqual([undefined, 'rejected: replayed id "c1"']);
    // Logged: one warning per rejection, naming the command and the reason.
    const warned = (msg: string) => log.lines.filter((l) => l.level === 40 && l.msg === msg);
    expect(warned('uplink: malformed downlink message rejected')).toHaveLength(2);
    expect(warned('uplink: malformed downlink message rejected').every((l) => l.topic === 'pdm/v1/s1/gw1/cmd' && typeof l.reason === 'string')).toBe(true);
    const rejected = warned('uplink: downlink command rejected').map((l) => [l.id, l.cmd, l.reason]);
    expect(rejected).toEqual([
      ['c2', 'format-disk', 'command "format-disk" is not in uplink.downlink.allow'],
      ['c3', 'format-disk', 'command "format-disk" is not in uplink.downlink.allow'],
      ['c4', 'ping', 'unsigned (ts and sig are required)'],
      ['c5', 'reboot-sensor', 'bad signature'],
      ['c6', 'ping', expect.stringMatching(/^stale/)],
      ['c1', 'reboot-sensor', 'replayed id "c1"'],
    ]);
  });

  it('answers ping', async () => {
    await send(signed('p1', 'ping'));
    await waitFor(() => replies.some((r) => r.id === 'p1'), 3000, 'pong');
    expect(replies.find((r) => r.id === 'p1')).toMatchObject({ ok: true, result: { pong: expect.any(Number) } });
  });
});
