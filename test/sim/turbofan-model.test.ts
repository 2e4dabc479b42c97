import { TurbofanModel, degradation, type TurbofanState } from '../../src/sim/turbofan-model';
import { FAN_CALIBRATION, FAN_SENSORS } from '../../src/sim/turbofan-calibration';
import { mean } from './stats';

/** Runs `engines` complete lives cycle by cycle, grouped per engine. */
function lives(seed: number, lifeCycles: number, engines: number): TurbofanState[][] {
  const m = new TurbofanModel(seed, { lifeCycles, restartOnFailure: true });
  const out: TurbofanState[][] = [[m.state()]];
  while (out.length <= engines) {
    m.advance(1);
    const s = m.state();
    if (s.engine > out.length) out.push([]);
    out[s.engine - 1]!.push(s);
  }
  return out.slice(0, engines);
}

describe('turbofan model (C-MAPSS FD001-shaped)', () => {
  const L = 200;
  const engines = lives(3, L, 30);

  it('is deterministic for a seed', () => {
    const again = lives(3, L, 2);
    expect(again[1]).toEqual(engines[1]);
    expect(lives(4, L, 1)[0]![5]!.sensors.s4).not.toBe(engines[0]![5]!.sensors.s4);
  });

  it('counts cycles 1..lifeCycles with true RUL = lifeCycles - cycle, then restarts with a new engine', () => {
    for (const [i, life] of engines.entries()) {
      expect(life.map((s) => s.cycle)).toEqual(Array.from({ length: L }, (_, k) => k + 1));
      for (const s of life) {
        expect(s.trueRul).toBe(L - s.cycle);
        expect(s.engine).toBe(i + 1);
      }
      expect(life[L - 1]!.wear).toBeCloseTo(1, 12);
    }
  });

  it('starts each engine with a random initial wear of at most 10 %', () => {
    const w0 = engines.map((l) => l[0]!.wear);
    expect(Math.min(...w0)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...w0)).toBeLessThanOrEqual(0.1);
    expect(new Set(w0).size).toBe(engines.length);
  });

  it('stops at failure without restart and keeps reporting RUL 0', () => {
    const m = new TurbofanModel(1, { lifeCycles: 60, restartOnFailure: false });
    m.advance(59.5);
    expect(m.state()).toMatchObject({ cycle: 60, trueRul: 0, failed: false, engine: 1 });
    m.advance(10);
    expect(m.state()).toMatchObject({ cycle: 60, trueRul: 0, failed: true, engine: 1 });
  });

  it('changes the sensors only on whole cycles', () => {
    const m = new TurbofanModel(2, { lifeCycles: 100, restartOnFailure: true });
    const a = m.state();
    m.advance(0.4);
    m.advance(0.4);
    expect(m.state()).toEqual(a);
    m.advance(0.4);
    expect(m.state().cycle).toBe(2);
    expect(m.state().sensors).not.toEqual(a.sensors);
  });

  describe.each(FAN_SENSORS.map((s) => [s]))('%s', (s) => {
    const c = FAN_CALIBRATION[s];
    const at = (from: number, to: number) => mean(engines.flatMap((l) => l.slice(from, to).map((x) => x.sensors[s])));

    it('starts at the calibrated healthy level and ends at the calibrated end-of-life level', () => {
      // 30 engines: the engine-to-engine spread averages down to unitStd / sqrt(30).
      const tol = 4 * (c.unitStd / Math.sqrt(30) + c.noise / Math.sqrt(30 * 5));
      expect(Math.abs(at(0, 20) - c.healthy)).toBeLessThan(tol + 0.05 * Math.abs(c.shift));
      expect(Math.abs(at(L - 5, L) - (c.healthy + c.shift))).toBeLessThan(tol + 0.05 * Math.abs(c.shift));
    });

    it('trends monotonically with wear in the C-MAPSS direction', () => {
      const dir = Math.sign(c.shift);
      const deciles = Array.from({ length: 10 }, (_, d) => at((d * L) / 10, ((d + 1) * L) / 10));
      const se = c.noise / Math.sqrt(30 * 20);
      for (let d = 1; d < 10; d++) expect(dir * (deciles[d]! - deciles[d - 1]!)).toBeGreaterThan(-4 * se);
      expect(dir * (deciles[9]! - deciles[5]!)).toBeGreaterThan(0.5 * Math.abs(c.shift));
    });

    it('has the calibrated noise around the trend', () => {
      const resid = engines.flatMap((l) =>
        l.slice(1).map((x, i) => x.sensors[s] - l[i]!.sensors[s] - c.shift * (degradation(x.wear, c.k) - degradation(l[i]!.wear, c.k))),
      );
      // Differences of white noise have variance 2 noise^2 (plus rounding to the data set's resolution).
      const sd = Math.sqrt(mean(resid.map((r) => r * r)) / 2);
      const rounding = 10 ** -c.decimals / Math.sqrt(12);
      expect(sd).toBeGreaterThan(0.9 * c.noise);
      expect(sd).toBeLessThan(1.1 * Math.hypot(c.noise, rounding));
    });
  });

  it('degradation runs from 0 to 1 and accelerates (exponential wear)', () => {
    expect(degradation(0, 4)).toBe(0);
    expect(degradation(1, 4)).toBeCloseTo(1, 12);
    expect(degradation(0.5, 4)).toBeLessThan(0.15);
    expect(degradation(0.9, 4) - degradation(0.8, 4)).toBeGreaterThan(degradation(0.2, 4) - degradation(0.1, 4));
  });
});
