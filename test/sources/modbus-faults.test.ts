import { ModbusResponder, type ResponderFault } from '../../bench/_modbus-responder';
import { modbusSourceConfig } from '../../src/sources/modbus/config';
import { ModbusSource } from '../../src/sources/modbus/modbus-source';
import { MODBUS_STATUS } from '../../src/sources/modbus/errors';
import { silentLogger } from '../../src/observability/logger';
import { freePort } from '../helpers/ports';
import { SourceRecorder } from '../helpers/source-events';

/**
 * Faults a real device cannot produce on demand, from a raw-socket responder: the poller must
 * report them per device, count them, never hang, never leak sockets, and recover when the
 * device behaves again.
 */
const FAULTS: { fault: ResponderFault; status: number; text: RegExp; counter: string }[] = [
  { fault: 'garbage', status: MODBUS_STATUS.frame, text: /garbage response \(\d+ bytes, no valid MBAP frame\)/, counter: 'garbageBytes' },
  { fault: 'short', status: MODBUS_STATUS.frame, text: /bad response frame: Data length error/, counter: 'unit1_frameErrors' },
  { fault: 'wrong-tid', status: MODBUS_STATUS.frame, text: /response did not match the request \(transaction id \d+, unit 1, function 3\)/, counter: 'unmatchedResponses' },
  { fault: 'wrong-unit', status: MODBUS_STATUS.frame, text: /bad response frame: Unexpected data error, expected address 1 got 2/, counter: 'unit1_frameErrors' },
  { fault: 'wrong-fc', status: MODBUS_STATUS.frame, text: /bad response frame: .*(code|length)/, counter: 'unit1_frameErrors' },
  { fault: 'stall', status: MODBUS_STATUS.frame, text: /incomplete or garbage response/, counter: 'garbageBytes' },
  { fault: 'huge-length', status: MODBUS_STATUS.frame, text: /incomplete or garbage response/, counter: 'garbageBytes' },
  { fault: 'silent', status: MODBUS_STATUS.timeout, text: /unit 1 holding 0\+2: no response \(timeout\)/, counter: 'unit1_timeouts' },
];

describe('ModbusSource against a misbehaving device', () => {
  let dev: ModbusResponder;
  let src: ModbusSource | undefined;
  let port: number;
  beforeEach(async () => {
    dev = new ModbusResponder(100);
    dev.registers[0] = 0x4148; // 12.5f = 0x41480000
    port = await freePort();
    await dev.listen(port);
  });
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    await dev.close();
  });

  for (const f of FAULTS) {
    it(`${f.fault}: tag bad with the fault named, counted, recovers when the device behaves, no socket leak`, async () => {
      const cfg = modbusSourceConfig.parse({
        id: 'dev',
        type: 'modbus',
        host: '127.0.0.1',
        port,
        pollIntervalMs: 50,
        timeoutMs: 150,
        retries: 0,
        reconnect: { initialMs: 50, maxMs: 200 },
        registers: [{ name: 'x', address: 0, type: 'float32' }],
      });
      src = new ModbusSource(cfg, silentLogger());
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('a good value', () => rec.latest('dev/x')?.value === 12.5);
      dev.fault = f.fault;
      await rec.until(`a bad sample from ${f.fault}`, () => rec.latest('dev/x')?.quality === 'bad', 5000);
      const bad = rec.latest('dev/x')!;
      expect(bad.status).toEqual({ code: f.status, text: expect.stringMatching(f.text) });
      expect(bad.status?.text).toMatch(f.text);
      expect(bad.status?.text).toContain(`tcp://127.0.0.1:${port}`);
      // keep misbehaving for a while: the poller keeps cycling and counting
      await new Promise((r) => setTimeout(r, 600));
      expect(src.stats()[f.counter]).toBeGreaterThan(0);
      expect(dev.sockets.size).toBeLessThanOrEqual(1);
      dev.fault = 'none';
      await rec.until('good again', () => rec.latest('dev/x')?.value === 12.5, 5000);
      expect(dev.sockets.size).toBe(1);
    });
  }

  for (const [code, name] of [
    [3, 'ILLEGAL DATA VALUE'],
    [4, 'SERVER DEVICE FAILURE'],
    [10, 'GATEWAY PATH UNAVAILABLE'],
    [11, 'GATEWAY TARGET DEVICE FAILED TO RESPOND'],
  ] as const) {
    it(`exception ${code}: the tag is bad with "${name}", the connection stays up`, async () => {
      const cfg = modbusSourceConfig.parse({ id: 'dev', type: 'modbus', host: '127.0.0.1', port, pollIntervalMs: 50, registers: [{ name: 'x', address: 0, type: 'float32' }] });
      src = new ModbusSource(cfg, silentLogger());
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('a good value', () => rec.latest('dev/x')?.value === 12.5);
      dev.fault = { exception: code };
      await rec.until('bad', () => rec.latest('dev/x')?.quality === 'bad');
      expect(rec.latest('dev/x')?.status).toEqual({ code, text: `tcp://127.0.0.1:${port} unit 1 holding 0+2: Modbus exception ${code} (${name})` });
      dev.fault = 'none';
      await rec.until('good again', () => rec.latest('dev/x')?.quality === 'good');
      expect(src.stats()).toMatchObject({ reconnects: 0, unit1_exceptions: expect.any(Number) });
      expect(src.stats().unit1_exceptions).toBeGreaterThan(0);
    });
  }

  for (const [fault, reason] of [
    ['silent', /no response/],
    ['garbage', /garbage response/],
    [{ exception: 4 }, /unit 1 holding 0\+2: Modbus exception 4 \(SERVER DEVICE FAILURE\)/],
  ] as const) {
    it(`a device that takes the connection but answers ${typeof fault === 'string' ? fault : 'only exceptions'} from the start is down with the reason, up only after a valid answer`, async () => {
      dev.fault = fault;
      const cfg = modbusSourceConfig.parse({
        id: 'dev', type: 'modbus', host: '127.0.0.1', port, pollIntervalMs: 50, timeoutMs: 150, retries: 0,
        reconnect: { initialMs: 50, maxMs: 200 }, registers: [{ name: 'x', address: 0, type: 'float32' }],
      });
      src = new ModbusSource(cfg, silentLogger());
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('down with the reason', () => src?.health().state === 'down' && reason.test(src.health().detail ?? ''), 5000);
      await new Promise((r) => setTimeout(r, 700));
      expect(dev.requests).toBeGreaterThan(1); // it kept trying
      expect(src.health()).toMatchObject({ healthy: false, state: 'down', detail: expect.stringMatching(reason) });
      expect(src.health().detail).toContain(`tcp://127.0.0.1:${port}`);
      expect(rec.states.map((s) => s.state)).not.toContain('up');
      expect(rec.samples.every((s) => s.quality === 'bad')).toBe(true);
      dev.fault = 'none';
      await rec.until('up', () => src?.health().state === 'up', 5000);
      const firstGood = rec.samples.findIndex((s) => s.quality === 'good');
      expect(firstGood).toBeGreaterThanOrEqual(0);
      expect(rec.samples[firstGood]?.value).toBe(12.5);
      expect(src.health()).toEqual({ healthy: true, state: 'up', detail: `tcp://127.0.0.1:${port}` });
    });
  }

  it('a link that was up goes down when every read answers with an exception, and up again when they are answered', async () => {
    const cfg = modbusSourceConfig.parse({ id: 'dev', type: 'modbus', host: '127.0.0.1', port, pollIntervalMs: 50, registers: [{ name: 'x', address: 0, type: 'float32' }] });
    src = new ModbusSource(cfg, silentLogger());
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('up', () => src?.health().state === 'up');
    dev.fault = { exception: 11 };
    await rec.until('down', () => src?.health().state === 'down');
    expect(src.health().detail).toMatch(/no valid answer: .*Modbus exception 11 \(GATEWAY TARGET DEVICE FAILED TO RESPOND\)/);
    dev.fault = 'none';
    await rec.until('up again', () => src?.health().state === 'up');
    expect(src.stats().reconnects).toBe(0); // the connection itself was fine throughout
  });

  it('several unit ids on one connection, each with its own counters', async () => {
    const cfg = modbusSourceConfig.parse({
      id: 'gw',
      type: 'modbus',
      host: '127.0.0.1',
      port,
      pollIntervalMs: 50,
      timeoutMs: 150,
      registers: [
        { name: 'a', unitId: 1, address: 0, type: 'float32' },
        { name: 'b', unitId: 2, address: 0, type: 'float32' },
        { name: 'c', unitId: 3, address: 0, type: 'float32' },
      ],
    });
    src = new ModbusSource(cfg, silentLogger());
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('three values', () => ['a', 'b', 'c'].every((t) => rec.latest(`gw/${t}`)?.value === 12.5));
    const st = src.stats();
    expect([st.unit1_requests, st.unit2_requests, st.unit3_requests].every((n) => (n ?? 0) > 0)).toBe(true);
    expect(dev.sockets.size).toBe(1);
  });
});
