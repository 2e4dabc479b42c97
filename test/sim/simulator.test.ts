import { rmSync } from 'node:fs';
import { startSimulator, type Simulator } from '../../src/sim/simulator';
import { simulatorConfig } from '../../src/sim/config';
import { SkipError } from '../../src/core/errors';
import pino from 'pino';
import { tempPki } from './opcua-client';

const pki = tempPki('simulator');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A real pino logger whose JSON lines land in an array. */
const logLines: Record<string, unknown>[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });

describe('startSimulator: time acceleration, schedules, injection', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator(
      simulatorConfig.parse({
        opcuaPort: 0,
        modbusPort: 0,
        timeScale: 100,
        updateIntervalMs: 50,
        pkiDir: pki,
        turbofan: { cyclesPerSecond: 1, lifeCycles: 60, restartOnFailure: true },
        faults: [{ fault: 'bearing-wear', atSeconds: 50, durationSeconds: 30, severity: 0.6 }],
      }),
      logger,
    );
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  it('runs simulated time at timeScale x real time, and the turbofan cycles with it (restarting engines at failure)', async () => {
    const t0 = Date.now();
    const s0 = sim.snapshot().simSeconds;
    await sleep(1500);
    const s1 = sim.snapshot();
    const real = (Date.now() - t0) / 1000;
    // A tick covers the real time since the previous one, so simulated time tracks real time x 100 closely.
    expect(s1.simSeconds - s0).toBeGreaterThan(100 * (real - 0.5));
    expect(s1.simSeconds - s0).toBeLessThan(100 * (real + 0.1));
    expect(s1.engine).toBeGreaterThanOrEqual(2); // 60-cycle engines at 100 cycles/s
    expect(s1.cycle + s1.trueRul).toBe(60);
  });

  it('ran the scheduled fault at its simulated time and ended it after its duration', () => {
    expect(sim.snapshot().simSeconds).toBeGreaterThan(80);
    const events = logLines.filter((l) => l.fault === 'bearing-wear').map((l) => [l.msg, l.severity]);
    expect(events).toEqual([
      ['simulator fault started', 0.6],
      ['simulator fault ended', 0.6],
    ]);
    expect(logLines.find((l) => l.msg === 'simulator fault started')?.simSeconds).toBe(50);
    expect(sim.snapshot().faults).toEqual([]);
    expect(sim.stats()).toMatchObject({ activeFaults: 0 });
  });

  it('injects a fault for a simulated duration', async () => {
    const f = sim.injectFault({ fault: 'cavitation', severity: 0.5, durationSeconds: 20 });
    expect(f).toMatchObject({ fault: 'cavitation', severity: 0.5 });
    expect(f.endS! - f.startS).toBe(20);
    expect(sim.snapshot().faults.map((a) => a.id)).toEqual([f.id]);
    await sleep(400); // 40 simulated seconds
    expect(sim.snapshot().faults).toEqual([]);
  });

  it('refuses an invalid injection with a SkipError naming the field, counts it, and keeps running', () => {
    const before = sim.stats().faultsRejected!;
    expect(() => sim.injectFault({ fault: 'stuck', severity: 1, channel: 'Nope' })).toThrow(SkipError);
    expect(() => sim.injectFault({ fault: 'cavitation', severity: 2 })).toThrow('fault.severity: expected a number in 0..1, got 2');
    expect(sim.stats().faultsRejected).toBe(before + 2);
    expect(sim.snapshot().faults).toEqual([]);
  });

  it('exposes plain numeric stats', () => {
    const s = sim.stats();
    expect(s.ticks).toBeGreaterThan(10);
    for (const [k, v] of Object.entries(s)) expect(`${k}:${typeof v}`).toBe(`${k}:number`);
    expect(Object.keys(s)).toEqual(expect.arrayContaining(['opcuaSessions', 'opcuaSubscriptions', 'modbusRequests', 'modbusConnections', 'simSeconds']));
  });
});
