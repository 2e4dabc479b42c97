import { REBUILD_WINDOWS, SlidingStats } from '../../src/features/sliding-stats';
import { timeStatsInto, type TimeStats } from '../../src/features/stats';
import { expectClose } from '../helpers/close-stats';
import { rng } from '../helpers/random';

const SLID_KEYS = ['mean', 'std', 'rms', 'min', 'max', 'p2p', 'crest'] as const;

function blank(): TimeStats {
  return { mean: 0, std: 0, rms: 0, min: 0, max: 0, p2p: 0, crest: 0, kurtosis: 0, skewness: 0 };
}

type Gen = (r: () => number, t: number, c: number) => number;

/**
 * A stream of `rows` rows of `ch` channels from `gen`, windows of `size` sliding by a random step
 * in [1, maxStep]; each window's running statistics (loaded afresh when slide() says so) against
 * timeStatsInto over the window. Returns [windows slid, windows loaded, worst error / bound].
 */
function check(gen: Gen, opts: { rows: number; ch: number; size: number; maxStep: number; seed: number }): [number, number, number] {
  const { rows, ch, size, maxStep } = opts;
  const r = rng(opts.seed);
  const data = new Float64Array(rows * ch);
  for (let t = 0; t < rows; t++) for (let c = 0; c < ch; c++) data[t * ch + c] = gen(r, t, c);
  const ss = new SlidingStats(ch, size);
  const got = blank();
  const exact = blank();
  let slid = 0;
  let loaded = 0;
  let worst = 0;
  let since = 0;
  ss.load(data.subarray(0, size * ch));
  for (let start = 0; ;) {
    const k = 1 + Math.floor(r() * maxStep);
    if (start + k + size > rows) break;
    start += k;
    const w = data.subarray(start * ch, (start + size) * ch);
    if (ss.slide(w, k)) {
      slid++;
      since += k;
    } else {
      ss.load(w);
      loaded++;
      since = 0;
    }
    // rebuilt at least every REBUILD_WINDOWS windows' worth of rows
    expect(since).toBeLessThanOrEqual(REBUILD_WINDOWS * size);
    for (let c = 0; c < ch; c++) {
      ss.statsInto(c, got);
      timeStatsInto(w, size, exact, false, c, ch);
      const pick = (s: TimeStats): Record<string, number> => Object.fromEntries(SLID_KEYS.map((key) => [key, s[key]]));
      worst = Math.max(worst, expectClose(pick(got), pick(exact), `window at row ${start}, channel ${c}`));
    }
  }
  return [slid, loaded, worst];
}

const normal = (r: () => number): number => {
  // Box-Muller
  const u = Math.max(r(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
};

describe('SlidingStats against the computation from scratch', () => {
  it('a long random stream, step 1: agrees, and sums are rebuilt only every REBUILD_WINDOWS x size rows', () => {
    const [slid, loaded, worst] = check((r, _t, c) => (c + 1) * normal(r) + c, { rows: 20_000, ch: 4, size: 50, maxStep: 1, seed: 1 });
    expect(slid + loaded).toBe(20_000 - 50);
    // one rebuild per 4 x 50 rows slid, no more (no cancellation in plain noise)
    expect(REBUILD_WINDOWS).toBe(4);
    expect(loaded).toBe(Math.floor((20_000 - 50) / 201));
    expect(worst).toBeLessThan(1e-2);
  });

  it('steps > 1 (random up to size - 1)', () => {
    const [slid, loaded] = check((r) => normal(r) * 3 - 1, { rows: 20_000, ch: 3, size: 30, maxStep: 29, seed: 2 });
    expect(slid).toBeGreaterThan(200);
    // ~15 rows a step, a rebuild after at most 4 x 30 rows slid (and check() asserts that bound)
    expect(loaded).toBeGreaterThan(100);
  });

  it('large offsets with a small spread (1e6 + noise of 1e-3): std keeps its digits', () => {
    const [slid, , worst] = check((r, _t, c) => 1e6 * (c + 1) + 1e-3 * normal(r), { rows: 10_000, ch: 3, size: 50, maxStep: 3, seed: 3 });
    expect(slid).toBeGreaterThan(2000);
    expect(worst).toBeLessThan(1e-2);
  });

  it('a drifting mean (random walk far beyond the spread) and a slow trend', () => {
    let walk = 0;
    const [slid, loaded] = check((r, t, c) => (c === 0 ? (walk += 5 * normal(r)) + 1e-2 * normal(r) : 1e5 + t * 7 + normal(r)), { rows: 20_000, ch: 2, size: 40, maxStep: 2, seed: 4 });
    expect(slid).toBeGreaterThan(5000);
    expect(loaded).toBeGreaterThan(0);
  });

  it('flat stretches, level jumps and repeated extremes (integers): min / max rescans and cancellation rebuilds', () => {
    const level = [0, 0, 0];
    const [slid, loaded] = check((r, _t, c) => {
      if (r() < 0.01) level[c] = Math.round(r() * 1e7) - 5e6;
      return c === 0 ? level[c] : c === 1 ? level[c] + Math.floor(r() * 3) : (r() < 0.5 ? 0 : 1);
    }, { rows: 20_000, ch: 3, size: 50, maxStep: 4, seed: 5 });
    expect(slid).toBeGreaterThan(2000);
    // a level jump leaving the window leaves a flat channel far from its reference: rebuilt
    expect(loaded).toBeGreaterThan(20_000 / 4 / 50 + 10);
  });

  it('all zeros give crest 0 and std 0 exactly, also after non-zero values left', () => {
    const ss = new SlidingStats(1, 4);
    const out = blank();
    ss.load(Float64Array.of(3, 0, 0, 0));
    expect(ss.slide(Float64Array.of(0, 0, 0, 0), 1)).toBe(false); // 3 left: all flat, far from the reference
    ss.load(Float64Array.of(0, 0, 0, 0));
    expect(ss.slide(Float64Array.of(0, 0, 0, 0), 1)).toBe(true);
    ss.statsInto(0, out);
    expect([out.mean, out.std, out.rms, out.crest, out.p2p]).toEqual([0, 0, 0, 0, 0]);
  });

  it('min and max follow values entering and leaving, rescanned when an extreme leaves', () => {
    const ss = new SlidingStats(1, 4);
    const out = blank();
    const stream = [5, 1, 9, 3, 4, 2, 8, 7, 6, 1, 1, 0, 9, 9, 2];
    ss.load(Float64Array.from(stream.slice(0, 4)));
    for (let s = 1; s + 4 <= stream.length; s++) {
      const w4 = Float64Array.from(stream.slice(s, s + 4));
      // rebuilt every 4 x 4 rows slid: window 17 (past this stream), so every window slides
      expect(ss.slide(w4, 1)).toBe(true);
      ss.statsInto(0, out);
      const w = stream.slice(s, s + 4);
      expect([out.min, out.max]).toEqual([Math.min(...w), Math.max(...w)]);
    }
  });
});
