import { channelFeatures, type FeatureName } from '../../src/features/compute';
import { expectClose } from '../helpers/close-stats';
import { rng } from '../helpers/random';
import { asset, harness } from './helpers';

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
    expect(st.slidingSumsRebuilt).toBeGreaterThan(st.windowsSlid / 10);
    expect(st.windows).toBe(h.windows.length);
  });
});
