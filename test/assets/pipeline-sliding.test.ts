import type { AssetConfig } from '../../src/assets/config';
import { judgeWindow } from '../../src/assets/gaps';
import type { AnalyzedWindow, ModelRunnerLike, ModelScore } from '../../src/assets/types';
import { WindowFeaturizer } from '../../src/assets/window-features';
import type { Quality, Sample } from '../../src/core/sample';
import { channelFeatures, type FeatureName } from '../../src/features/compute';
import { REBUILD_WINDOWS } from '../../src/features/sliding-stats';
import { expectClose } from '../helpers/close-stats';
import { rng } from '../helpers/random';
import { asset, harness, s } from './helpers';

/**
 * A model layer that holds windows (answering a random while later, out of order) and checks
 * each: at scoring, its verdict and features against a scan and a computation from scratch of
 * its frames; when it answers, that its frames are still what they were.
 */
class CheckingRunner implements ModelRunnerLike {
  readonly waiting: { w: AnalyzedWindow; key: string; resolve: (s: readonly ModelScore[]) => void }[] = [];
  checked = 0;
  private readonly fresh: WindowFeaturizer;

  constructor(private readonly cfg: AssetConfig, private readonly r: () => number) {
    this.fresh = new WindowFeaturizer(cfg.features, [], cfg.window.frameMs);
  }

  score(cfg: AssetConfig, w: AnalyzedWindow): Promise<readonly ModelScore[]> {
    const v = judgeWindow(w.raw, cfg.gaps);
    expect(v.emit && [v.coverage, v.quality]).toEqual([w.result.coverage, w.result.quality]);
    const { start, end, frames, channels, ts, values, cells } = w.raw;
    const exact = this.fresh.compute({ start, end, frames, channels, ts, values, cells }, w.result.coverage === 1);
    for (const ch of Object.keys(exact.features)) expectClose(w.result.features[ch], exact.features[ch], `window ${start} ${ch}`);
    expect(Object.keys(w.result.features)).toEqual(Object.keys(exact.features));
    this.checked++;
    return new Promise((resolve) => this.waiting.push({ w, key: JSON.stringify([Array.from(values), Array.from(cells), Array.from(ts)]), resolve }));
  }

  /** Answers some of the windows waiting (all with `all`), in random order. */
  answer(all = false): void {
    for (let k = this.waiting.length - 1; k >= 0; k--) {
      if (!all && this.r() < 0.6) continue;
      const [p] = this.waiting.splice(k, 1);
      const { values, cells, ts } = p.w.raw;
      expect(JSON.stringify([Array.from(values), Array.from(cells), Array.from(ts)])).toBe(p.key);
      p.resolve([{ binding: this.cfg.models[0], model: 'm', version: '1.0.0', value: 0, thresholds: { anomaly: 5 } }]);
    }
  }
}

const NAMES: FeatureName[] = ['mean', 'std', 'rms', 'min', 'max', 'p2p', 'crest', 'last'];

describe('AssetPipeline with count windows sliding by one frame', () => {
  it('every window: coverage, quality and features as computed from scratch over its frames', () => {
    const cfg = asset({ window: { type: 'count', size: 10, step: 1, frameMs: 1000 }, features: NAMES, gaps: { policy: 'skip', minCoverage: 0.5 } });
    const h = harness(cfg);
    const r = rng(21);
    const rows = new Map<number, number[]>();
    for (let k = 0; k < 2000; k++) {
      // a: 1e6 plus noise; b: a sine with a missing value now and then
      const row = [1e6 + r() * 1e-2, r() < 0.02 ? NaN : Math.sin(k / 7) * 50];
      rows.set(k * 1000, row);
      h.p.pushFrame(k * 1000, row);
    }
    expect(h.windows.length).toBeGreaterThan(1900);
    for (const w of h.windows) {
      const a: number[] = [];
      const b: number[] = [];
      for (let t = w.start; t < w.end; t += 1000) {
        const [va, vb] = rows.get(t) as number[];
        a.push(va);
        if (!Number.isNaN(vb)) b.push(vb);
      }
      expect(w.coverage).toBe((a.length + b.length) / 20);
      expect(w.quality).toBe(b.length === 10 ? 'good' : 'degraded');
      const series = (x: number[]): Parameters<typeof channelFeatures>[0] => ({ values: Float64Array.from(x), times: new Float64Array(x.length), even: new Float64Array(0), fs: 1 });
      expectClose(w.features.a, channelFeatures(series(a), NAMES), `window ${w.start} a`);
      expectClose(w.features.b, channelFeatures(series(b), NAMES), `window ${w.start} b`);
    }
    const st = h.p.stats();
    // about 1 - 0.98^10 = 18% of the windows miss a b value: those and the first after them are from scratch
    expect(st.windowsSlid).toBeGreaterThan(1000);
    expect(st.slidingSumsRebuilt).toBeGreaterThan(st.windowsSlid / (REBUILD_WINDOWS * 10));
    expect(st.windows).toBe(h.windows.length);
  });

  it('samples (uncertain, bad, several per frame, forward-filled) into windows held by a slow model: verdicts, features and frames hold', async () => {
    const cfg = asset({
      tags: { a: 'src/a', b: 'src/b', c: 'src/c' },
      window: { type: 'count', size: 12, step: 1, frameMs: 100 },
      features: NAMES,
      gaps: { policy: 'ffill', maxFillMs: 200, minCoverage: 0.3 },
      models: [{ id: 'm', role: 'anomaly', input: 'frames' }],
    });
    const r = rng(33);
    const runner = new CheckingRunner(cfg, r);
    const h = harness(cfg, runner);
    for (let t = 0; t < 300_000; t += 100) {
      const batch: Sample[] = [];
      for (const tag of ['src/a', 'src/b', 'src/c']) {
        const x = r();
        if (x < 0.05) continue; // no value this frame
        const quality: Quality = x < 0.08 ? 'bad' : x < 0.12 ? 'uncertain' : 'good';
        batch.push(s(tag, 100 + r() * 10, t + 10, quality));
        if (r() < 0.1) batch.push(s(tag, 100 + r() * 10, t + 60));
      }
      h.push(batch);
      if (r() < 0.3) {
        runner.answer();
        await new Promise((res) => setImmediate(res));
      }
    }
    runner.answer(true);
    await new Promise((res) => setImmediate(res));
    expect(runner.checked).toBeGreaterThan(2900);
    expect(h.windows.length).toBe(runner.checked);
    expect(h.windows.some((w) => w.quality === 'degraded')).toBe(true);
    expect(h.p.stats().windowsSlid).toBeGreaterThan(500);
  });
});
