import { channelFeatures, FeaturePlan, FEATURE_NAMES, type FeatureName } from '../../src/features/compute';
import { slope, timeStats } from '../../src/features/stats';

const ALL = FEATURE_NAMES.filter((n) => n !== 'band_energy');

function series(x: number[]): { values: Float64Array; times: Float64Array; even: Float64Array; fs: number } {
  const values = Float64Array.from(x);
  return { values, times: Float64Array.from(x, (_, i) => i * 0.5), even: values, fs: 2 };
}

describe('FeaturePlan (features worked out once, applied per channel)', () => {
  it('gives exactly what the single statistics give, in request order then spectral', () => {
    const x = [3, -1, 4, 1, -5, 9, 2, 6, -5, 3];
    const s = series(x);
    const plan = new FeaturePlan(['rms', 'slope', 'mean', 'last', 'kurtosis', 'dominant_freq', 'std', 'band_energy'], [[0, 0.5]]);
    const f = plan.compute(s);
    const st = timeStats(s.values);
    expect(Object.keys(f)).toEqual(['rms', 'slope', 'mean', 'last', 'kurtosis', 'std', 'band_energy_0_0.5', 'dominant_freq']);
    expect(plan.keys).toEqual(Object.keys(f));
    expect(f).toMatchObject({ rms: st.rms, mean: st.mean, kurtosis: st.kurtosis, std: st.std, last: 3, slope: slope(s.values, s.times) });
    expect(plan.needsTimes).toBe(true);
    expect(plan.needsEven).toBe(true);
  });

  it('matches channelFeatures for every feature name', () => {
    const s = series([0.5, 2, -3, 7, 7, 1, 0, -2]);
    expect(new FeaturePlan(ALL).compute(s)).toEqual(channelFeatures(s, ALL));
    expect(Object.keys(channelFeatures(s, ALL))).toEqual(ALL);
  });

  it('fill() reads only values[0..n) and says whether everything came out finite', () => {
    const plan = new FeaturePlan(['mean', 'max', 'last', 'slope']);
    const s = series([1, 2, 3, 1000, 1000]);
    const out: Record<string, number> = {};
    expect(plan.fill(out, s, 3)).toBe(true);
    expect(out).toEqual({ mean: 2, max: 3, last: 3, slope: 2 }); // slope over t = 0, 0.5, 1
    const big = series([1e200, 1e200]);
    const o2: Record<string, number> = {};
    expect(new FeaturePlan(['mean', 'rms']).fill(o2, big, 2)).toBe(false);
    expect(o2.rms).toBe(Infinity);
    expect(o2.mean).toBe(1e200);
    // p2p overflows although min and max are finite
    expect(new FeaturePlan(['p2p'] as FeatureName[]).fill({}, series([-1.5e308, 1.5e308]), 2)).toBe(false);
  });

  it('asks for the times and the even series only when a feature reads them', () => {
    const p = new FeaturePlan(['mean', 'std', 'min', 'max', 'rms']);
    expect([p.needsTimes, p.needsEven]).toEqual([false, false]);
    expect(p.compute({ values: Float64Array.of(1, 3), times: new Float64Array(0), even: new Float64Array(0), fs: 1 })).toEqual({ mean: 2, std: 1, min: 1, max: 3, rms: Math.sqrt(5) });
  });
});
