import { centralMoments, crestFactor, kurtosis, max, mean, min, peakToPeak, rms, skewness, slope, std, timeStats } from '../../src/features/stats';

const sine = (n: number, amp: number, cycles: number, offset = 0): Float64Array =>
  Float64Array.from({ length: n }, (_, i) => offset + amp * Math.sin((2 * Math.PI * cycles * i) / n));

describe('time-domain features against closed forms', () => {
  it('sine over whole periods: mean = offset, rms = A/sqrt2, crest = sqrt2, kurtosis = 1.5, skewness = 0', () => {
    const x = sine(1024, 3, 8);
    expect(mean(x)).toBeCloseTo(0, 12);
    expect(rms(x)).toBeCloseTo(3 / Math.SQRT2, 12);
    expect(std(x)).toBeCloseTo(3 / Math.SQRT2, 12);
    expect(crestFactor(x)).toBeCloseTo(Math.SQRT2, 10);
    expect(kurtosis(x)).toBeCloseTo(1.5, 10);
    expect(skewness(x)).toBeCloseTo(0, 10);
    expect(max(x)).toBeCloseTo(3, 12);
    expect(min(x)).toBeCloseTo(-3, 12);
    expect(peakToPeak(x)).toBeCloseTo(6, 12);
  });

  it('offset sine: std ignores the offset, rms does not', () => {
    const x = sine(1000, 2, 5, 10);
    expect(mean(x)).toBeCloseTo(10, 10);
    expect(std(x)).toBeCloseTo(Math.SQRT2, 10);
    expect(rms(x)).toBeCloseTo(Math.sqrt(100 + 2), 10);
  });

  it('square wave: crest 1, kurtosis 1; two-point skew has the closed form', () => {
    const sq = Float64Array.from({ length: 100 }, (_, i) => (i % 2 ? 1 : -1));
    expect(crestFactor(sq)).toBe(1);
    expect(kurtosis(sq)).toBeCloseTo(1, 12);
    // Bernoulli(p) values {0,1}: skew = (1-2p)/sqrt(p(1-p)); p = 0.2 -> 1.5
    const b = Float64Array.from({ length: 100 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    expect(skewness(b)).toBeCloseTo(1.5, 12);
    // kurtosis of Bernoulli: (1 - 3p(1-p)) / (p(1-p)) = (1-0.48)/0.16 = 3.25
    expect(kurtosis(b)).toBeCloseTo(3.25, 12);
  });

  it('uniform ramp: slope exact, also with uneven times; kurtosis of uniform tends to 1.8', () => {
    const x = Float64Array.from({ length: 50 }, (_, i) => 2.5 * i - 7);
    expect(slope(x)).toBeCloseTo(2.5, 12);
    const t = Float64Array.from([0, 0.5, 3, 4, 10]);
    const y = t.map((v) => -0.3 * v + 1);
    expect(slope(y, t)).toBeCloseTo(-0.3, 12);
    const u = Float64Array.from({ length: 100001 }, (_, i) => i / 100000);
    expect(kurtosis(u)).toBeCloseTo(1.8, 4);
  });

  it('degenerate inputs: empty -> NaN, constant -> 0 for shape statistics, single value slope 0', () => {
    const e = new Float64Array(0);
    expect(mean(e)).toBeNaN();
    expect(timeStats(e).kurtosis).toBeNaN();
    const c = new Float64Array(10).fill(4);
    expect(kurtosis(c)).toBe(0);
    expect(skewness(c)).toBe(0);
    expect(std(c)).toBe(0);
    expect(crestFactor(new Float64Array(5))).toBe(0);
    expect(slope(Float64Array.of(3))).toBe(0);
  });

  it('timeStats equals the single-purpose functions', () => {
    const x = Float64Array.from({ length: 333 }, (_, i) => Math.sin(i * 0.37) * 4 + Math.cos(i * 1.3) + (i % 7) * 0.1);
    const t = timeStats(x);
    expect(t.mean).toBeCloseTo(mean(x), 12);
    expect(t.std).toBeCloseTo(std(x), 12);
    expect(t.rms).toBeCloseTo(rms(x), 12);
    expect(t.crest).toBeCloseTo(crestFactor(x), 12);
    expect(t.kurtosis).toBeCloseTo(kurtosis(x), 12);
    expect(t.skewness).toBeCloseTo(skewness(x), 12);
    expect(t.p2p).toBeCloseTo(peakToPeak(x), 12);
    expect(centralMoments(x).m2).toBeCloseTo(t.std ** 2, 12);
  });
});
