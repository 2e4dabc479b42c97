import { CELL_FILLED, CELL_GOOD, CELL_MISSING, type RawWindow } from '../../src/assets/frame';
import { WindowFeaturizer } from '../../src/assets/window-features';
import { Windower, type CutWindow } from '../../src/assets/windower';
import type { FeatureName } from '../../src/features/compute';
import { REBUILD_WINDOWS } from '../../src/features/sliding-stats';
import { expectClose } from '../helpers/close-stats';
import { rng } from '../helpers/random';

const SLIDABLE: FeatureName[] = ['mean', 'std', 'rms', 'min', 'max', 'p2p', 'crest', 'last'];
const CH = ['a', 'b', 'c'];

interface Run {
  windows: number;
  /** Windows computed whose cells all hold a value. */
  full: number;
  compared: number;
  slid: number;
  loaded: number;
}

/**
 * Frames of `value(t, c)` (cells mostly good, some filled, a share missing; resets now and then)
 * through a Windower; every window the pipeline would emit is featurized by one featurizer, as
 * the pipeline does (some windows skipped at random, as a coverage verdict would), and checked
 * against a fresh computation from scratch of the same window.
 */
function run(o: { size: number; step: number; frames: number; missing: number; seed: number; names?: FeatureName[]; value: (r: () => number, t: number, c: number) => number }): Run {
  const r = rng(o.seed);
  const names = o.names ?? SLIDABLE;
  const f = new WindowFeaturizer(names, [], 100);
  // windows without a stream id: never slid, always from scratch
  const fresh = new WindowFeaturizer(names, [], 100);
  const res: Run = { windows: 0, full: 0, compared: 0, slid: 0, loaded: 0 };
  const w: Windower = new Windower({ type: 'count', sizeFrames: o.size, stepFrames: o.step, frameMs: 100, channels: CH }, (cw: CutWindow) => {
    res.windows++;
    if (r() < 0.1) return w.release(cw); // skipped
    const full = cw.present === cw.cells.length;
    if (full) res.full++;
    const got = f.compute(cw, full);
    const scratchWindow: RawWindow = { start: cw.start, end: cw.end, frames: cw.frames, channels: cw.channels, ts: cw.ts, values: cw.values, cells: cw.cells };
    const exact = fresh.compute(scratchWindow, full);
    expect(got.missingChannels).toEqual(exact.missingChannels);
    expect(Object.keys(got.features)).toEqual(Object.keys(exact.features));
    for (const ch of Object.keys(exact.features)) {
      expect(Object.keys(got.features[ch])).toEqual(Object.keys(exact.features[ch]));
      expectClose(got.features[ch], exact.features[ch], `window ${cw.start} channel ${ch}`);
    }
    res.compared++;
    w.release(cw);
  });
  let ts = 0;
  for (let k = 0; k < o.frames; k++) {
    if (r() < 0.002) {
      w.reset();
      ts += 100 * 3 * o.size;
    }
    const cells = Uint8Array.from(CH, () => (r() < o.missing ? CELL_MISSING : r() < 0.05 ? CELL_FILLED : CELL_GOOD));
    const values = Float64Array.from(cells, (cell, c) => (cell === CELL_MISSING ? NaN : o.value(r, k, c)));
    w.push({ ts, values, cells });
    ts += 100;
  }
  res.slid = f.slidWindows;
  res.loaded = f.loadedWindows;
  return res;
}

describe('WindowFeaturizer on sliding windows (running statistics) against the computation from scratch', () => {
  it('step 1, missing and filled cells, resets and skipped windows: same features', () => {
    const res = run({ size: 50, step: 1, frames: 10_000, missing: 0.001, seed: 7, value: (r, t, c) => Math.sin(t / 30 + c) * (c + 1) + r() });
    expect(res.compared).toBeGreaterThan(7500);
    expect(res.slid).toBeGreaterThan(5000);
    // rebuilt after resets, missing cells, and at least every REBUILD_WINDOWS x 50 rows slid
    expect(res.loaded).toBeGreaterThan(res.slid / (REBUILD_WINDOWS * 50));
  });

  it('step 3 over large offsets with a small spread (1e6 + 1e-3 noise)', () => {
    const res = run({ size: 30, step: 3, frames: 6000, missing: 0, seed: 8, value: (r, _t, c) => 1e6 * (c + 1) + 1e-3 * r() });
    expect(res.slid).toBeGreaterThan(1000);
  });

  it('windows with a missing cell are computed from scratch (and the sums rebuilt after them)', () => {
    const res = run({ size: 20, step: 1, frames: 3000, missing: 0.02, seed: 9, value: (r) => r() * 10 });
    // about 1 - 0.98^60 = 70% of the windows have a missing cell
    expect(res.slid).toBeLessThan(res.compared * 0.5);
    expect(res.slid).toBeGreaterThan(100);
    // only full windows slide or rebuild the sums
    expect(res.slid + res.loaded).toBeLessThanOrEqual(res.full);
  });

  it('kurtosis, skewness or slope asked for: every window from scratch', () => {
    for (const extra of ['kurtosis', 'skewness', 'slope'] as const) {
      const res = run({ size: 20, step: 1, frames: 500, missing: 0, seed: 10, names: [...SLIDABLE, extra], value: (r) => r() });
      expect([res.slid, res.loaded]).toEqual([0, 0]);
      expect(res.compared).toBeGreaterThan(380);
    }
  });

  it('tumbling windows never build running sums', () => {
    const res = run({ size: 20, step: 20, frames: 2000, missing: 0, seed: 11, value: (r) => r() });
    expect([res.slid, res.loaded]).toEqual([0, 0]);
    expect(res.compared).toBeGreaterThan(80);
  });
});
