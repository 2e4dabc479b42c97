import { join } from 'node:path';
import { modbusSourceConfig } from '../../src/sources/modbus/config';
import { MODBUS_STATUS } from '../../src/sources/modbus/errors';
import { ModbusSource } from '../../src/sources/modbus/modbus-source';
import type { ModbusArea } from '../../src/sources/modbus/planner';
import type { ModbusTransport } from '../../src/sources/modbus/transport';
import { RtuTransport } from '../../src/sources/modbus/transport-rtu';
import { silentLogger } from '../../src/observability/logger';
import { ChildPeer } from '../helpers/child-peer';
import { requireCommand } from '../helpers/peers';
import { SourceRecorder } from '../helpers/source-events';
import { PtyPair } from './modbus-pty-pair';

const PEER = join(__dirname, 'peers/modbus_faulty.py');
const PY = '/usr/bin/python3';
const BAUD = 38400;

interface Req {
  unit: number;
  ms: number;
}

/** The requests the slave line received, in order, with its own monotonic timestamps. */
function requests(peer: ChildPeer): Req[] {
  return peer.lines
    .filter((l) => l.startsWith('REQ '))
    .map((l) => {
      const [, unit, , , , ms] = l.split(' ');
      return { unit: Number(unit), ms: Number(ms) };
    });
}

interface Sent {
  unit: number;
  timeoutMs: number;
  sent: number;
  settled: number;
}

/** The real RTU transport, with the gateway's own timestamps of each request (exact, same clock). */
class TimedTransport implements ModbusTransport {
  readonly log: Sent[] = [];
  constructor(private readonly inner: ModbusTransport) {}
  get endpoint(): string {
    return this.inner.endpoint;
  }
  get isOpen(): boolean {
    return this.inner.isOpen;
  }
  get counters(): ModbusTransport['counters'] {
    return this.inner.counters;
  }
  open(timeoutMs: number): Promise<void> {
    return this.inner.open(timeoutMs);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  onClose(listener: (reason: string) => void): void {
    this.inner.onClose(listener);
  }
  async read(unit: number, area: ModbusArea, start: number, count: number, timeoutMs: number): Promise<Buffer | boolean[]> {
    const e: Sent = { unit, timeoutMs, sent: performance.now(), settled: NaN };
    this.log.push(e);
    try {
      return await this.inner.read(unit, area, start, count, timeoutMs);
    } finally {
      e.settled = performance.now();
    }
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

/**
 * devices[] overrides on one RTU line, measured at the slave: a unit with an inter-request delay,
 * silent units with their own retries and timeout, and a silent unit on the source's defaults.
 */
describe('Modbus RTU per-device timeout, retries and inter-request delay, timed at the slave', () => {
  const DELAY = 60;
  let line: PtyPair;
  let peer: ChildPeer;
  let src: ModbusSource | undefined;
  beforeAll(async () => {
    requireCommand(PY, 'python3-serial');
    line = new PtyPair();
    await line.start();
    peer = new ChildPeer(PY, [PEER, '--path', line.theirs, '--baud', String(BAUD), '--unit', '1=ok', '--unit', '2=silent', '--unit', '3=silent', '--unit', '4=ok', '--unit', '5=silent']);
    await peer.start();
  });
  afterAll(async () => {
    await src?.stop();
    await peer.kill();
    await line.stop();
  });

  it('gaps after a delayed unit >= its interRequestDelayMs, retries per unit as configured, each unit its own timeout', async () => {
    const cfg = modbusSourceConfig.parse({
      id: 'rtu',
      type: 'modbus',
      transport: 'rtu',
      serial: { path: line.ours, baudRate: BAUD, parity: 'none' },
      pollIntervalMs: 500,
      timeoutMs: 250, // source defaults: unit 4 and unit 5 use them
      retries: 1,
      interRequestDelayMs: 0,
      devices: [
        { unitId: 1, interRequestDelayMs: DELAY },
        { unitId: 2, retries: 2, timeoutMs: 150 },
        { unitId: 3, retries: 0, timeoutMs: 400 },
      ],
      registers: [
        { name: 'u1_h', unitId: 1, address: 0 },
        { name: 'u1_i', unitId: 1, area: 'input', address: 0 },
        { name: 'u2', unitId: 2, address: 0 },
        { name: 'u3', unitId: 3, address: 0 },
        { name: 'u4_h', unitId: 4, address: 0 },
        { name: 'u4_i', unitId: 4, area: 'input', address: 0 },
        { name: 'u5', unitId: 5, address: 0 },
      ],
    });
    const timed = new TimedTransport(new RtuTransport(cfg.serial!));
    src = new ModbusSource(cfg, silentLogger(), timed);
    const rec = new SourceRecorder(src);
    await src.start();
    const count = (tag: string): number => rec.samples.filter((s) => s.tag === tag).length;
    await rec.until('four cycles of every unit', () => ['rtu/u1_h', 'rtu/u2', 'rtu/u3', 'rtu/u4_h', 'rtu/u5'].every((t) => count(t) >= 4), 30_000);
    await src.stop(); // a cycle in progress finishes (with its retries) before stop() returns
    src = undefined;
    await new Promise((r) => setTimeout(r, 200)); // the slave's last lines
    const reqs = requests(peer);
    const stats = (rec.source as ModbusSource).stats();

    // values and failures as expected
    expect(rec.latest('rtu/u1_h')).toMatchObject({ quality: 'good', value: 1000 });
    expect(rec.latest('rtu/u4_i')).toMatchObject({ quality: 'good', value: 4000 });
    for (const u of [2, 3, 5]) {
      expect(rec.latest(`rtu/u${u}`)?.status).toEqual({ code: MODBUS_STATUS.timeout, text: `rtu:${line.ours} unit ${u} holding 0+1: no response (timeout)` });
    }

    // retries: every cycle of a silent unit is 1 + retries requests on the wire, and nothing else
    const attempts = { 2: 3, 3: 1, 5: 2 } as const;
    for (const [u, n] of Object.entries(attempts)) {
      const onWire = reqs.filter((r) => r.unit === Number(u)).length;
      expect({ unit: u, onWire }).toEqual({ unit: u, onWire: n * count(`rtu/u${u}`) });
      expect(stats[`unit${u}_requests`]).toBe(onWire);
      expect(stats[`unit${u}_timeouts`]).toBe(onWire);
    }
    // units that answer are asked once per read
    expect(reqs.filter((r) => r.unit === 1).length).toBe(count('rtu/u1_h') + count('rtu/u1_i'));

    // timeouts: each unit's own timeout is used, and a silent request takes that long;
    // at the slave, the next request on the line comes one such timeout later
    const gapsAfter = (u: number): number[] => reqs.flatMap((r, i) => (r.unit === u && i + 1 < reqs.length ? [reqs[i + 1]!.ms - r.ms] : []));
    for (const [u, ms] of [[2, 150], [3, 400], [5, 250]] as const) {
      const mine = timed.log.filter((e) => e.unit === u);
      const took = mine.map((e) => e.settled - e.sent);
      expect({ unit: u, timeouts: [...new Set(mine.map((e) => e.timeoutMs))], min: Math.min(...took) >= ms - 1, max: Math.max(...took) < ms + 200 }).toEqual({
        unit: u,
        timeouts: [ms],
        min: true,
        max: true,
      });
      // the slave's clock: its timestamps jitter with the scheduling of its process on a busy machine
      const gaps = gapsAfter(u);
      expect({ unit: u, median: median(gaps) >= ms - 1, min: Math.min(...gaps) >= ms - 25, max: Math.max(...gaps) < ms + 200 }).toEqual({ unit: u, median: true, min: true, max: true });
    }

    // inter-request delay: after every request to unit 1 the gateway waits >= DELAY ms before the
    // next request on the line; unit 4 (no delay) is followed sooner: the delay is that unit's
    const quietAfter = (u: number): number[] => timed.log.flatMap((e, i) => (e.unit === u && i + 1 < timed.log.length ? [timed.log[i + 1]!.sent - e.settled] : []));
    expect(quietAfter(1).length).toBeGreaterThanOrEqual(8);
    expect(Math.min(...quietAfter(1))).toBeGreaterThanOrEqual(DELAY - 1); // setTimeout may round down 1 ms
    expect(Math.min(...quietAfter(4))).toBeLessThan(DELAY);
    // and on the wire, at the slave
    expect(median(gapsAfter(1))).toBeGreaterThanOrEqual(DELAY);
    expect(Math.min(...gapsAfter(1))).toBeGreaterThanOrEqual(DELAY - 25);
    expect(Math.min(...gapsAfter(4))).toBeLessThan(DELAY);
  });
});
