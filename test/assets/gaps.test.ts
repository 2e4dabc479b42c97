import { CELL_GOOD, CELL_MISSING } from '../../src/assets/frame';
import { GapFiller } from '../../src/assets/gaps';
import type { Sample } from '../../src/core/sample';
import { asset, harness, s } from './helpers';

/** a and b every second over [0, 10 s) with b's frames listed in `bHoles` absent; then one sample to close. */
function twoChannels(bHoles: number[], bValue = 5): Sample[] {
  const out: Sample[] = [];
  for (let k = 0; k < 10; k++) {
    out.push(s('src/a', k, k * 1000));
    if (!bHoles.includes(k)) out.push(s('src/b', bValue, k * 1000));
  }
  out.push(s('src/a', 0, 12_000));
  return out;
}

describe('gap policies and bad input', () => {
  it('a bad-quality value never becomes a feature (counted, and the frame counts as missing)', () => {
    const h = harness(asset({ gaps: { policy: 'skip', minCoverage: 0.5 } }));
    const input = twoChannels([]);
    input.push(s('src/b', 1000, 3500, 'bad'), s('src/b', 2000, 4000, 'bad'));
    h.push(input.sort((x, y) => x.sourceTs - y.sourceTs));
    const w = h.windows[0];
    expect(w.features.b.max).toBe(5);
    expect(h.p.stats().badSamples).toBe(2);
    // the frame at 4 s had a good and a bad b value: the good one counts
    expect(w.coverage).toBe(1);
  });

  it('NaN, Infinity and non-numbers are counted and treated as missing; booleans become 0/1', () => {
    const h = harness(asset({ gaps: { policy: 'skip', minCoverage: 0.5 } }));
    const input = twoChannels([2, 3, 4, 5]);
    input.push(s('src/b', NaN, 2000), s('src/b', Infinity, 3000), s('src/b', -Infinity, 4000), s('src/b', 'overload', 5000), s('src/b', null, 5000));
    h.push(input.sort((x, y) => x.sourceTs - y.sourceTs));
    const st = h.p.stats();
    expect(st.nonFiniteSamples).toBe(3);
    expect(st.invalidSamples).toBe(2);
    expect(h.windows[0].features.b).toEqual({ mean: 5, std: 0, min: 5, max: 5, last: 5 });
    expect(h.windows[0].coverage).toBe(16 / 20);

    const hb = harness(asset({ tags: { on: 'src/on' }, window: { type: 'count', size: 3, frameMs: 1000 } }));
    hb.push([s('src/on', true, 0), s('src/on', false, 1000), s('src/on', true, 2000), s('src/on', true, 9000)]);
    expect(hb.windows[0].features.on.mean).toBeCloseTo(2 / 3, 12);
  });

  it('skip: no filling; a window under minCoverage is dropped with a reason naming the asset, one above it is emitted degraded', () => {
    const h = harness(asset({ gaps: { policy: 'skip', minCoverage: 0.8 } }));
    h.push(twoChannels([1, 2, 3]));
    expect(h.windows).toHaveLength(1);
    expect(h.windows[0].quality).toBe('degraded');
    expect(h.windows[0].coverage).toBe(17 / 20);
    expect(h.windows[0].features.b.mean).toBe(5);

    const h2 = harness(asset({ gaps: { policy: 'skip', minCoverage: 0.8 } }));
    h2.push(twoChannels([1, 2, 3, 4, 5]));
    expect(h2.windows).toHaveLength(0);
    expect(h2.skipped).toEqual([{
      asset: 'p1', start: 0, end: 10_000, reason: 'coverage', coverage: 0.75,
      message: 'asset p1: window 1970-01-01T00:00:00.000Z..1970-01-01T00:00:10.000Z skipped: coverage 0.75 < minCoverage 0.8 (policy skip)',
    }]);
    expect(h2.p.stats().windowsSkippedCoverage).toBe(1);
  });

  it('ffill: a missing value is carried forward at most maxFillMs, later frames stay missing', () => {
    const h = harness(asset({ gaps: { policy: 'ffill', maxFillMs: 2000, minCoverage: 0.5 } }));
    // b = k at frames 0..3, holes at 4..8 (5 frames), b = 9 at 9
    const input: Sample[] = [];
    for (let k = 0; k < 10; k++) {
      input.push(s('src/a', 1, k * 1000));
      if (k < 4 || k === 9) input.push(s('src/b', k, k * 1000));
    }
    input.push(s('src/a', 0, 12_000));
    h.push(input);
    const w = h.windows[0];
    expect(h.p.stats().filledCells).toBe(4); // frames 4 and 5 take 3 (6..8 are beyond 2 s); 10 and 11 take 9
    expect(w.coverage).toBe(17 / 20);
    expect(w.quality).toBe('degraded');
    // b over frames 0,1,2,3,3,3,9
    expect(w.features.b.mean).toBeCloseTo((0 + 1 + 2 + 3 + 3 + 3 + 9) / 7, 12);
    expect(w.features.b.last).toBe(9);
  });

  it('ffill with full coverage after filling is a good window', () => {
    const h = harness(asset({ gaps: { policy: 'ffill', maxFillMs: 3000, minCoverage: 1 } }));
    h.push(twoChannels([1, 2, 5, 6, 7]));
    expect(h.windows[0].quality).toBe('good');
    expect(h.windows[0].coverage).toBe(1);
  });

  it('degraded: keeps a window under minCoverage, marked degraded, and lists a channel with no value', () => {
    const h = harness(asset({ gaps: { policy: 'degraded', maxFillMs: 0, minCoverage: 0.8 } }));
    h.push(twoChannels([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(h.windows).toHaveLength(1);
    const w = h.windows[0];
    expect(w.quality).toBe('degraded');
    expect(w.coverage).toBe(0.5);
    expect(w.missingChannels).toEqual(['b']);
    expect(Object.keys(w.features)).toEqual(['a']);
  });

  it('a window with all channels bad is skipped (reason empty) under every policy and counted', () => {
    for (const policy of ['skip', 'ffill', 'degraded'] as const) {
      const h = harness(asset({ gaps: { policy, maxFillMs: 0, minCoverage: 0.8 } }));
      const input: Sample[] = twoChannels([]).slice(0, -1);
      for (let k = 10; k < 20; k++) input.push(s('src/a', 1, k * 1000, 'bad'), s('src/b', 2, k * 1000, 'bad'));
      input.push(s('src/a', 1, 20_000), s('src/b', 1, 20_000), s('src/a', 1, 22_000));
      h.push(input);
      expect(h.windows.map((w) => w.start)).toEqual([0]);
      expect(h.skipped.map((x) => x.reason)).toEqual(['empty']);
      expect(h.skipped[0].message).toContain('all channels missing or bad');
      expect(h.p.stats()).toMatchObject({ badSamples: 20, windowsSkippedEmpty: 1, windowsSkipped: 1, windows: 1 });
    }
  });

  it('uncertain values are used but make the window degraded', () => {
    const h = harness(asset({ gaps: { policy: 'skip', minCoverage: 0.8 } }));
    const input = twoChannels([]);
    input[3] = { ...input[3], quality: 'uncertain' };
    h.push(input);
    expect(h.windows[0].coverage).toBe(1);
    expect(h.windows[0].quality).toBe('degraded');
  });

  it('a feature that overflows to Infinity is dropped and counted, never emitted', () => {
    const h = harness(asset({ tags: { a: 'src/a' }, features: ['mean', 'rms'], window: { type: 'count', size: 2, frameMs: 1000 }, gaps: { policy: 'skip', minCoverage: 0.5 } }));
    h.push([s('src/a', 1e200, 0), s('src/a', 1e200, 1000), s('src/a', 0, 5000)]);
    expect(h.windows[0].features.a).toEqual({ mean: 1e200 });
    expect(h.p.stats().nonFiniteFeatures).toBe(1);
  });
});

describe('GapFiller', () => {
  it('fills the same cells whether or not the writer says how many are missing (complete frames only update one time)', () => {
    const policy = { policy: 'ffill' as const, maxFillMs: 2500, minCoverage: 0 };
    const told = new GapFiller(3, policy);
    const counted = new GapFiller(3, policy);
    // rows at 1 s steps; NaN = missing. Channel 2 is absent long enough to stop being filled.
    const rows = [[1, 2, 3], [4, 5, 6], [7, NaN, NaN], [NaN, 8, NaN], [9, 10, NaN], [11, 12, NaN], [13, 14, 15], [NaN, NaN, NaN], [16, 17, 18], [NaN, 19, NaN], [NaN, NaN, NaN], [NaN, NaN, NaN], [NaN, NaN, 20]];
    const out: number[][][] = [[], []];
    rows.forEach((r, k) => {
      [told, counted].forEach((f, i) => {
        const row = { values: Float64Array.from(r), cells: Uint8Array.from(r, (v) => (Number.isNaN(v) ? CELL_MISSING : CELL_GOOD)), at: 0 };
        const missing = r.filter(Number.isNaN).length;
        const filled = f.apply(k * 1000, row, i === 0 ? missing : -1);
        out[i].push([...row.values, ...row.cells, filled]);
      });
    });
    expect(out[0]).toEqual(out[1]);
    // channel 2: last value 6 at 1 s, filled at 2 and 3 s (<= 2.5 s old), not at 4 and 5 s
    expect(out[0].slice(2, 6).map((r) => r[2])).toEqual([6, 6, NaN, NaN]);
    // everything filled at 7 s from the complete frame at 6 s; at 10, 11 s from 8 s and 9 s within 2.5 s only
    expect(out[0][7].slice(0, 3)).toEqual([13, 14, 15]);
    expect(out[0][10].slice(0, 3)).toEqual([16, 19, 18]);
    expect(out[0][11].slice(0, 3)).toEqual([NaN, 19, NaN]);
  });
});
