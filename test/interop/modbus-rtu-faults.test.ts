import { join } from 'node:path';
import { modbusSourceConfig } from '../../src/sources/modbus/config';
import { MODBUS_STATUS } from '../../src/sources/modbus/errors';
import { ModbusSource } from '../../src/sources/modbus/modbus-source';
import { silentLogger } from '../../src/observability/logger';
import { ChildPeer } from '../helpers/child-peer';
import { requireCommand } from '../helpers/peers';
import { SourceRecorder } from '../helpers/source-events';
import { PtyPair } from './modbus-pty-pair';

const PEER = join(__dirname, 'peers/modbus_faulty.py');
const PY = '/usr/bin/python3';
const BAUD = 38400;

/** Register a of unit u holds u * 1000 + a (the peer's map). */
const expected = (unit: number, address: number): number => unit * 1000 + address;

function rtuSource(line: PtyPair, units: number[], extra: Record<string, unknown> = {}): ModbusSource {
  const cfg = modbusSourceConfig.parse({
    id: 'rtu',
    type: 'modbus',
    transport: 'rtu',
    serial: { path: line.ours, baudRate: BAUD, parity: 'none' },
    pollIntervalMs: 200,
    timeoutMs: 300,
    retries: 0,
    reconnect: { initialMs: 200, maxMs: 1000 },
    registers: units.flatMap((u) => [
      { name: `u${u}_a`, unitId: u, address: 0 },
      { name: `u${u}_b`, unitId: u, address: 1 },
    ]),
    ...extra,
  });
  return new ModbusSource(cfg, silentLogger());
}

const good = (rec: SourceRecorder, unit: number, from = 0): boolean =>
  [0, 1].every((a) => rec.since(from).some((s) => s.tag === `rtu/u${unit}_${a === 0 ? 'a' : 'b'}` && s.quality === 'good' && s.value === expected(unit, a)));

describe('Modbus RTU over a socat pty pair: misbehaving slaves and a serial port that goes away', () => {
  let line: PtyPair;
  let peer: ChildPeer;
  let src: ModbusSource | undefined;
  beforeAll(() => {
    requireCommand(PY, 'python3-serial');
  });
  beforeEach(async () => {
    line = new PtyPair();
    await line.start();
  });
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    await peer.kill();
    await line.stop();
  });

  it('bad CRC, a stop mid-frame, garbage and a wrong unit id from four units: each unit reported and counted on its own, the good unit keeps its values, no reconnect', async () => {
    peer = new ChildPeer(PY, [PEER, '--path', line.theirs, '--baud', String(BAUD), '--unit', '1=ok', '--unit', '2=badcrc', '--unit', '3=stall', '--unit', '4=garbage', '--unit', '5=wrongunit']);
    await peer.start();
    src = rtuSource(line, [1, 2, 3, 4, 5]);
    const rec = new SourceRecorder(src);
    await src.start();
    const faults: [number, RegExp][] = [
      [2, /unit 2 holding 0\+2: bad response frame: CRC error/],
      [3, /unit 3 holding 0\+2: incomplete response \(\d+ of 9 bytes, then silence\)/],
      [4, /unit 4 holding 0\+2: garbage response \(\d+ bytes, no frame from unit 4\)/],
      [5, /unit 5 holding 0\+2: response from unit 6, not unit 5 \(9 bytes\)/],
    ];
    await rec.until('unit 1 good and units 2..5 bad', () => good(rec, 1) && faults.every(([u]) => rec.latest(`rtu/u${u}_a`)?.quality === 'bad'), 10_000);
    for (const [u, text] of faults) {
      for (const name of [`rtu/u${u}_a`, `rtu/u${u}_b`]) {
        const s = rec.latest(name);
        expect({ tag: name, quality: s?.quality, code: s?.status?.code }).toEqual({ tag: name, quality: 'bad', code: MODBUS_STATUS.frame });
        expect(s?.status?.text).toMatch(text);
        expect(s?.status?.text).toContain(`rtu:${line.ours}`);
      }
    }
    // keep misbehaving: the poller keeps cycling every unit (never hangs on the stalled one)
    const mark = rec.samples.length;
    const statsBefore = src.stats();
    await new Promise((r) => setTimeout(r, 2000));
    const stats = src.stats();
    expect(rec.since(mark).filter((s) => s.tag === 'rtu/u1_a' && s.quality === 'good').length).toBeGreaterThanOrEqual(2);
    for (const [u] of faults) expect(stats[`unit${u}_frameErrors`]! - statsBefore[`unit${u}_frameErrors`]!).toBeGreaterThanOrEqual(2);
    expect(stats.unit1_frameErrors ?? 0).toBe(0);
    expect(stats.unit1_timeouts ?? 0).toBe(0);
    expect(stats.garbageBytes).toBeGreaterThan(0);
    // one unit's bad frame costs that read only: the line is re-synchronised before each request
    expect(stats.reconnects).toBe(0);
    expect(src.health()).toMatchObject({ healthy: true, state: 'up' });

    // the devices behave again: every unit's values come back on the same open port
    process.kill(peer.pid!, 'SIGUSR1');
    const healed = rec.samples.length;
    await rec.until('every unit good again', () => [1, 2, 3, 4, 5].every((u) => good(rec, u, healed)), 10_000);
    expect(src.stats().reconnects).toBe(0);
  });

  it('socat killed (the pty path disappears) and restarted: the port is reopened with backoff and values come back without a restart', async () => {
    peer = new ChildPeer(PY, [PEER, '--path', line.theirs, '--baud', String(BAUD), '--unit', '1=ok', '--unit', '2=ok']);
    await peer.start();
    src = rtuSource(line, [1, 2]);
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('values', () => good(rec, 1) && good(rec, 2), 10_000);
    const before = src.stats();

    await line.stop();
    await rec.until('every tag bad, the port named', () => [1, 2].every((u) => rec.latest(`rtu/u${u}_a`)?.quality === 'bad'), 5000);
    for (const name of ['rtu/u1_a', 'rtu/u1_b', 'rtu/u2_a', 'rtu/u2_b']) {
      expect(rec.latest(name)?.status).toEqual({ code: MODBUS_STATUS.disconnected, text: `rtu:${line.ours}: serial port closed` });
    }
    await rec.until('down, the open failure named', () => src?.health().detail?.includes(`cannot open ${line.ours}`) === true, 5000);
    expect(src.health()).toMatchObject({ healthy: false, state: 'down' });
    const outageMs = 3000;
    const opensBefore = src.stats().errors;
    await new Promise((r) => setTimeout(r, outageMs));
    // backoff: retried (more than once) but not in a tight loop; delays are at least initialMs/2 = 100 ms
    const failedOpens = src.stats().errors - opensBefore;
    expect(failedOpens).toBeGreaterThanOrEqual(2);
    expect(failedOpens).toBeLessThanOrEqual(outageMs / 100);

    await line.start(); // same paths again; the peer reopens its end
    const mark = rec.samples.length;
    const ms = await rec.until('values again', () => good(rec, 1, mark) && good(rec, 2, mark), 10_000);
    expect(ms).toBeLessThan(10_000);
    expect(src.health()).toMatchObject({ healthy: true, state: 'up', detail: `rtu:${line.ours}` });
    expect(src.stats().reconnects - before.reconnects).toBe(1);
  });
});
