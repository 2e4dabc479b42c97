/** @jest-environment ./test/ml/ort-environment.js */
import mqtt, { type MqttClient } from 'mqtt';
import type { CloudIngest } from '../../src/cloud/ingest';
import { Gateway } from '../../src/gateway';
import type { BoardHealth } from '../../src/health/health-board';
import type { AlarmEvent } from '../../src/health/types';
import { silentLogger } from '../../src/observability/logger';
import { signCommand, type CommandReply } from '../../src/uplink';
import { freePort } from '../helpers/ports';
import { sandbox, type Sandbox } from '../models/fixtures';
import { pmVersion } from '../models/service-helpers';
import { startIngest, waitFor } from '../uplink/helpers';
import { modelGatewayConfig, windowFeeder } from './model-gateway';

const KEY = 'k'.repeat(32);

/**
 * The health board (what the SCADA server reads) and the downlink `ack` command, wired in a real
 * gateway: a real model service scoring a real ONNX model, the embedded aedes broker, the uplink
 * draining the outbox to a cloud ingest on that broker. Frames are pushed into the pipelines as a
 * replay feed would (the configured Modbus source has no peer: it only names the tags' units).
 */
describe('health board and remote acknowledgement, through the gateway', () => {
  let sb: Sandbox;
  let gw: Gateway;
  let ingest: CloudIngest;
  let cloud: MqttClient;
  const replies: CommandReply[] = [];
  const alarms: AlarmEvent[] = [];
  const boardHealth: BoardHealth[] = [];
  let windows: ReturnType<typeof windowFeeder>;

  beforeAll(async () => {
    sb = sandbox();
    pmVersion(sb, '1.0.0'); // score = window mean of both channels; threshold 5
    const mqttPort = await freePort();
    const cfg = await modelGatewayConfig(sb, ['pump', 'pump2'], `broker: { enabled: true, port: ${mqttPort} }
models: { rescanIntervalMs: 0, inferenceThread: main }
uplink: { url: "mqtt://127.0.0.1:${mqttPort}", protocolVersion: 4, batch: { maxDelayMs: 0 }, downlink: { allow: [ping, ack], hmacKey: "${KEY}" } }
`);
    gw = new Gateway(cfg, { logger: silentLogger(), statusWriter: () => undefined });
    windows = windowFeeder(gw);
    gw.board.on('alarm', (e) => alarms.push(e));
    gw.board.on('health', (_asset, results) => boardHealth.push(...results));
    await gw.start();
    ingest = await startIngest(gw.broker!.url);
    await waitFor(() => gw.uplink!.stats().state === 'up', 10000, 'uplink up');
    cloud = await mqtt.connectAsync(gw.broker!.url, { protocolVersion: 4 });
    cloud.on('message', (_t, p) => replies.push(JSON.parse(p.toString()) as CommandReply));
    await cloud.subscribeAsync('pdm/v1/s1/gw-t/cmd/reply', { qos: 1 });
  }, 60000);

  afterAll(async () => {
    await cloud?.endAsync(true);
    await gw?.stop();
    await ingest?.stop();
    sb?.cleanup();
  });

  const send = (id: string, args: Record<string, unknown>, ts = Date.now()) =>
    cloud.publishAsync('pdm/v1/s1/gw-t/cmd', JSON.stringify({ schema: 1, id, cmd: 'ack', ts, args, sig: signCommand(KEY, { id, cmd: 'ack', ts, args }) }), { qos: 1 });
  const reply = async (id: string) => {
    await waitFor(() => replies.some((r) => r.id === id), 5000, `reply ${id}`);
    return replies.find((r) => r.id === id)!;
  };

  it('holds the latest health per asset and model, with version, quality, time and channel units', async () => {
    await windows('pump', [1, 2, 3]); // two windows out (the third stays open)
    await windows('pump2', [1, 1]);
    expect(gw.board.health()).toEqual([
      { asset: 'pump', seq: 1, start: 4000, ts: 8000, model: 'pm', version: '1.0.0', role: 'anomaly', value: 2, quality: 'good', state: 'normal' },
      { asset: 'pump2', seq: 0, start: 0, ts: 4000, model: 'pm', version: '1.0.0', role: 'anomaly', value: 1, quality: 'good', state: 'normal' },
    ]);
    expect(gw.board.health('pump2')).toHaveLength(1);
    expect(boardHealth.map((h) => [h.asset, h.seq])).toEqual([['pump', 0], ['pump', 1], ['pump2', 0]]);
    // units from the source tags: a has bar, b has none
    expect(gw.board.assets()).toEqual([
      { id: 'pump', kind: 'pump', channels: [{ name: 'a', tag: 'plc/a', units: 'bar' }, { name: 'b', tag: 'plc/b' }] },
      { id: 'pump2', kind: 'pump', channels: [{ name: 'a', tag: 'plc/a', units: 'bar' }, { name: 'b', tag: 'plc/b' }] },
    ]);
    // the outbox summary record says the unit per channel too, and carries model, version and quality
    await waitFor(() => ingest.store.payloads('summary', 'pump').length >= 2, 10000, 'pump summaries at the cloud');
    expect(ingest.store.payloads('summary', 'pump')[1]).toMatchObject({
      seq: 1, units: { a: 'bar' }, features: { a: { mean: 2 }, b: { mean: 2 } },
      health: [{ model: 'pm', version: '1.0.0', quality: 'good', value: 2, state: 'normal' }],
    });
    expect(gw.board.activeAlarms()).toEqual([]);
  }, 60000);

  it('shows live alarms across assets; an acknowledgement through the board reaches the outbox', async () => {
    await windows('pump', [9, 9, 9]);
    await windows('pump2', [9, 9, 9]);
    expect(gw.board.activeAlarms().map((a) => [a.key, a.severity, a.acknowledged, a.quality])).toEqual([
      ['pump/pm/anomaly', 'critical', false, 'good'], ['pump2/pm/anomaly', 'critical', false, 'good'],
    ]);
    expect(gw.board.activeAlarms('pump2').map((a) => a.key)).toEqual(['pump2/pm/anomaly']);
    expect(gw.board.snapshot().alarms).toHaveLength(2);

    expect(gw.board.acknowledge('pump', 'pump/pm/anomaly', 'alice')).toEqual({ asset: 'pump', key: 'pump/pm/anomaly', acknowledged: true, by: 'alice' });
    expect(alarms.filter((a) => a.action === 'acknowledge')).toEqual([
      expect.objectContaining({ key: 'pump/pm/anomaly', asset: 'pump', model: 'pm', version: '1.0.0', severity: 'critical', quality: 'good', value: 9, message: 'anomaly alarm on pump acknowledged by alice' }),
    ]);
    // a second acknowledgement changes nothing and emits nothing
    expect(gw.board.acknowledge('pump', 'pump/pm/anomaly', 'alice')).toMatchObject({ acknowledged: false, detail: 'already acknowledged' });
    expect(alarms.filter((a) => a.action === 'acknowledge')).toHaveLength(1);
    await waitFor(() => ingest.store.payloads('alarm', 'pump').length >= 2, 10000, 'pump alarm records at the cloud');
    expect(ingest.store.payloads('alarm', 'pump')).toEqual([
      expect.objectContaining({ action: 'raise', key: 'pump/pm/anomaly' }),
      expect.objectContaining({ action: 'acknowledge', key: 'pump/pm/anomaly', message: 'anomaly alarm on pump acknowledged by alice' }),
    ]);
    // unknown asset / alarm: a typed error naming them, counted
    expect(() => gw.board.acknowledge('nope', 'nope/pm/anomaly', 'x')).toThrow('ack: unknown asset "nope" (assets: pump, pump2)');
    expect(() => gw.board.acknowledge('pump2', 'pump/pm/anomaly', 'x')).toThrow('ack: asset pump2 has no live alarm "pump/pm/anomaly" (live: pump2/pm/anomaly)');
    expect(gw.board.stats()).toMatchObject({ acks: 1, acksRepeated: 1, acksRejected: 2, activeAlarms: 2 });
  }, 60000);

  it('the signed downlink `ack` command acknowledges; bad asset, key or arguments are refused, counted and answered', async () => {
    const before = gw.uplink!.stats();
    await send('a1', { asset: 'pump2', key: 'pump2/pm/anomaly', by: 'scada-7' });
    expect(await reply('a1')).toEqual({ schema: 1, id: 'a1', ok: true, result: { asset: 'pump2', key: 'pump2/pm/anomaly', acknowledged: true, by: 'scada-7' } });
    expect(alarms.filter((a) => a.action === 'acknowledge').map((a) => [a.key, a.message])).toEqual([
      ['pump/pm/anomaly', 'anomaly alarm on pump acknowledged by alice'], ['pump2/pm/anomaly', 'anomaly alarm on pump2 acknowledged by scada-7'],
    ]);
    await waitFor(() => ingest.store.payloads('alarm', 'pump2').length >= 2, 10000, 'pump2 alarm records at the cloud');
    expect(ingest.store.payloads('alarm', 'pump2')[1]).toMatchObject({ action: 'acknowledge', key: 'pump2/pm/anomaly', asset: 'pump2', severity: 'critical' });

    await send('a2', { asset: 'pump9', key: 'pump9/pm/anomaly' });
    await send('a3', { asset: 'pump', key: 'pump/pm/rul' });
    await send('a4', { asset: 'pump', alarm: 'pump/pm/anomaly' });
    expect((await reply('a2')).error).toBe('ack: unknown asset "pump9" (assets: pump, pump2)');
    expect((await reply('a3')).error).toBe('ack: asset pump has no live alarm "pump/pm/rul" (live: pump/pm/anomaly)');
    expect((await reply('a4')).error).toMatch(/^ack: bad arguments: key: .*; \(args\): Unrecognized key: "alarm"$/);
    const after = gw.uplink!.stats();
    expect(after.commands - before.commands).toBe(4);
    expect(after.commandsFailed - before.commandsFailed).toBe(3);
    expect(gw.board.stats()).toMatchObject({ acks: 2, acksRejected: 4 });
    // the board's counters are exported with the gateway's metrics
    expect(await gw.metrics.text()).toMatch(/pdm_module_stat\{module="health",stat="acksRejected",gateway="gw-t",site="s1"\} 4/);
    // a replayed command is refused by the signature check before it reaches the board
    await cloud.publishAsync('pdm/v1/s1/gw-t/cmd', JSON.stringify({ schema: 1, id: 'a2', cmd: 'ack', ts: Date.now(), args: {}, sig: '00'.repeat(32) }), { qos: 1 });
    await waitFor(() => replies.filter((r) => r.id === 'a2').length === 2, 5000, 'second reply a2');
    expect(replies.filter((r) => r.id === 'a2')[1].error).toBe('rejected: bad signature');
  }, 60000);
});
