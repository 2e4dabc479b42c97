import { formatCmapss, lastWindows, parseCmapss, rulTarget, sensorRange, sensorStats, stretchEngine, trainingWindows, truncateLikeTest, CMAPSS_SENSORS, type Engine } from '../../src/ml/cmapss-data';
import { phm08Score, rmse } from '../../src/ml/metrics';
import { Rng } from '../../src/ml/rng';

function engine(unit: number, cycles: number, base = 0): Engine {
  const C = CMAPSS_SENSORS.length;
  return { unit, cycles, sensors: Float32Array.from({ length: cycles * C }, (_, i) => base + Math.floor(i / C) + (i % C) / 100) };
}

describe('C-MAPSS data', () => {
  it('parses the official format (26 columns, two trailing spaces) and keeps the 14 informative sensors', () => {
    const line = (unit: number, cycle: number): string => `${unit} ${cycle} -0.0007 -0.0004 100.0 ${Array.from({ length: 21 }, (_, k) => (k + 1) * 10 + cycle).join(' ')}  `;
    const engines = parseCmapss([line(1, 1), line(1, 2), line(2, 1)].join('\n') + '\n', 'x.txt');
    expect(engines.map((e) => [e.unit, e.cycles])).toEqual([[1, 2], [2, 1]]);
    // s2 = 20 + cycle, s21 = 210 + cycle
    expect(engines[0]!.sensors[0]).toBe(21);
    expect(engines[0]!.sensors[13]).toBe(211);
    expect(engines[0]!.sensors[14]).toBe(22);
  });

  it('names the file and line of a malformed row', () => {
    expect(() => parseCmapss('1 1 2 3\n', 'test_FD001.txt')).toThrow('test_FD001.txt:1: expected 26 numeric columns');
    const row = (c: number): string => `1 ${c} ${new Array(24).fill('1').join(' ')}`;
    expect(() => parseCmapss(`${row(1)}\n${row(3)}\n`, 't.txt')).toThrow('t.txt:2: unit 1: expected cycle 2, got 3');
  });

  it('round-trips through formatCmapss', () => {
    const engines = [engine(1, 5), engine(7, 3, 100)];
    const back = parseCmapss(formatCmapss(engines), 'f');
    expect(back.map((e) => e.unit)).toEqual([1, 7]);
    expect(Array.from(back[1]!.sensors)).toEqual(Array.from(engines[1]!.sensors));
  });

  it('stretches an engine in time: round(cycles x factor) cycles, first and last kept, linear interpolation in between', () => {
    // engine(): sensor c at cycle t (0-based) reads t + c / 100, a straight line in time.
    const e = engine(3, 41);
    const slow = stretchEngine(e, 1.5);
    expect([slow.unit, slow.cycles]).toEqual([3, 62]);
    const fast = stretchEngine(e, 0.5);
    expect(fast.cycles).toBe(21);
    for (const s of [slow, fast]) {
      // Cycle i of the stretched run sits at i x 40 / (cycles - 1) of the original.
      for (let i = 0; i < s.cycles; i++) {
        for (const c of [0, 13]) expect(s.sensors[i * 14 + c]).toBeCloseTo((i * 40) / (s.cycles - 1) + c / 100, 4);
      }
    }
    // Two recorded cycles stretched to 5: quarter steps from 7 to 19, each the weighted mean of both.
    const two: Engine = { unit: 1, cycles: 2, sensors: Float32Array.from({ length: 28 }, (_, i) => (i < 14 ? 7 : 19)) };
    expect(Array.from(stretchEngine(two, 2.5).sensors.filter((_, i) => i % 14 === 0))).toEqual([7, 10, 13, 16, 19].map((v) => expect.closeTo(v, 5)));
    expect(fast.sensors[fast.sensors.length - 1]).toBeCloseTo(e.sensors[e.sensors.length - 1]!, 5);
  });

  it('labels windows with the piecewise-linear RUL capped at the cap', () => {
    expect(rulTarget(200, 10, 125)).toBe(125);
    expect(rulTarget(200, 190, 125)).toBe(10);
    const e = engine(1, 40);
    const norm = { mean: new Array(14).fill(0), std: new Array(14).fill(1) };
    const w = trainingWindows([e], 30, 5, norm);
    expect(w.n).toBe(11);
    // windows end at cycles 30..40 of a 40-cycle life: RUL 10..0, capped at 5
    expect(Array.from(w.y)).toEqual([5, 5, 5, 5, 5, 5, 4, 3, 2, 1, 0]);
    // first window = cycles 1..30: row k holds cycle k+1
    expect(w.x[0]).toBe(0);
    expect(w.x[29 * 14]).toBe(29);
  });

  it('can also train on front-padded windows ending before the window length (as short test engines are seen)', () => {
    const e = engine(1, 40);
    const norm = { mean: new Array(14).fill(0), std: new Array(14).fill(1) };
    const w = trainingWindows([e], 30, 125, norm, 25);
    expect(w.n).toBe(16);
    expect(w.y[0]).toBe(15);
    // the window ending at cycle 25: 5 copies of cycle 1, then cycles 1..25
    expect(Array.from({ length: 30 }, (_, k) => w.x[k * 14])).toEqual([0, 0, 0, 0, 0, ...Array.from({ length: 25 }, (_, k) => k)]);
    // from the sixth window on, the full windows of the default
    expect(Array.from(w.x.subarray(5 * 30 * 14))).toEqual(Array.from(trainingWindows([e], 30, 125, norm).x));
  });

  it('pads engines shorter than the window by repeating their first row', () => {
    const e = engine(1, 3);
    const norm = { mean: new Array(14).fill(0), std: new Array(14).fill(2) };
    const x = lastWindows([e], 5, norm);
    expect(Array.from({ length: 5 }, (_, k) => x[k * 14])).toEqual([0, 0, 0, 0.5, 1]);
  });

  it('z-scores with per-sensor statistics', () => {
    const s = sensorStats([engine(1, 3)]);
    expect(s.mean[0]).toBeCloseTo(1, 6);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(2 / 3), 6);
  });

  it('min-max scales to [-1, 1] as an offset (mid-range) and a scale (half-range); a constant sensor gets scale 1', () => {
    const e = engine(1, 3);
    const flat: Engine = { unit: 2, cycles: 2, sensors: new Float32Array(2 * 14).fill(5) };
    const s = sensorRange([e]);
    // s2 takes 0, 1, 2 over the three cycles
    expect(s.mean[0]).toBeCloseTo(1, 6);
    expect(s.std[0]).toBeCloseTo(1, 6);
    expect(Array.from({ length: 3 }, (_, k) => lastWindows([e], 3, s)[k * 14])).toEqual([-1, 0, 1]);
    expect(sensorRange([flat]).std[3]).toBe(1);
  });

  it('truncates held-out engines like the official test set: RUL in [7, 145], at least 31 cycles kept', () => {
    const engines = Array.from({ length: 200 }, (_, i) => engine(i + 1, 128 + (i % 200)));
    const t = truncateLikeTest(engines, new Rng(1));
    t.engines.forEach((e, i) => {
      expect(e.cycles + t.rul[i]!).toBe(engines[i]!.cycles);
      expect(e.cycles).toBeGreaterThanOrEqual(31);
      expect(t.rul[i]).toBeGreaterThanOrEqual(7);
      expect(t.rul[i]).toBeLessThanOrEqual(145);
    });
    const mean = t.rul.reduce((a, b) => a + b, 0) / t.rul.length;
    expect(mean).toBeGreaterThan(60);
    expect(mean).toBeLessThan(90);
  });

  it('computes RMSE and the PHM08 score (late predictions cost more)', () => {
    expect(rmse([3, 4], [0, 0])).toBeCloseTo(Math.sqrt(12.5), 12);
    expect(phm08Score([10], [0])).toBeCloseTo(Math.E - 1, 12);
    expect(phm08Score([0], [13])).toBeCloseTo(Math.E - 1, 12);
    expect(phm08Score([20], [10])).toBeGreaterThan(phm08Score([0], [10]));
  });
});
