/**
 * Time-domain statistics over one channel of a window. Pure functions over Float64Array; the
 * callers pass only usable values (missing and bad cells are removed before). An empty input
 * gives NaN, which the pipeline never lets out of a window result.
 *
 * Conventions (chosen to match numpy/scipy defaults so the interop test compares like with like):
 * - std is the population standard deviation (numpy ddof=0);
 * - kurtosis is Pearson's (m4 / m2^2, a normal distribution gives 3; scipy fisher=False);
 * - skewness is m3 / m2^1.5 (scipy bias=True);
 * - kurtosis and skewness of a constant signal are 0 (instead of 0/0);
 * - crest factor is max|x| / rms, 0 for an all-zero signal;
 * - slope is the least-squares slope of x over t (units per unit of t; t defaults to the index).
 */

export function mean(x: Float64Array): number {
  if (x.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** Central moments m2, m3, m4 (divided by n) around the mean. */
export function centralMoments(x: Float64Array): { mean: number; m2: number; m3: number; m4: number } {
  const mu = mean(x);
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - mu;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  const n = x.length;
  return { mean: mu, m2: m2 / n, m3: m3 / n, m4: m4 / n };
}

export function std(x: Float64Array): number {
  return Math.sqrt(centralMoments(x).m2);
}

export function rms(x: Float64Array): number {
  if (x.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / x.length);
}

export function min(x: Float64Array): number {
  if (x.length === 0) return NaN;
  let m = Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] < m) m = x[i];
  return m;
}

export function max(x: Float64Array): number {
  if (x.length === 0) return NaN;
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > m) m = x[i];
  return m;
}

export function peakToPeak(x: Float64Array): number {
  return max(x) - min(x);
}

export function crestFactor(x: Float64Array): number {
  if (x.length === 0) return NaN;
  const r = rms(x);
  return r === 0 ? 0 : Math.max(Math.abs(max(x)), Math.abs(min(x))) / r;
}

export function kurtosis(x: Float64Array): number {
  if (x.length === 0) return NaN;
  const { m2, m4 } = centralMoments(x);
  return m2 === 0 ? 0 : m4 / (m2 * m2);
}

export function skewness(x: Float64Array): number {
  if (x.length === 0) return NaN;
  const { m2, m3 } = centralMoments(x);
  return m2 === 0 ? 0 : m3 / Math.pow(m2, 1.5);
}

export function slope(x: Float64Array, t?: Float64Array): number {
  const n = x.length;
  if (n === 0) return NaN;
  if (n === 1) return 0;
  let st = 0;
  let sx = 0;
  for (let i = 0; i < n; i++) {
    st += t ? t[i] : i;
    sx += x[i];
  }
  const mt = st / n;
  const mx = sx / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dt = (t ? t[i] : i) - mt;
    num += dt * (x[i] - mx);
    den += dt * dt;
  }
  return den === 0 ? 0 : num / den;
}

/** All time-domain statistics in two passes, for the pipeline's hot path. */
export interface TimeStats {
  mean: number;
  std: number;
  rms: number;
  min: number;
  max: number;
  p2p: number;
  crest: number;
  kurtosis: number;
  skewness: number;
}

export function timeStats(x: Float64Array): TimeStats {
  const out: TimeStats = { mean: NaN, std: NaN, rms: NaN, min: NaN, max: NaN, p2p: NaN, crest: NaN, kurtosis: NaN, skewness: NaN };
  timeStatsInto(x, x.length, out);
  return out;
}

/** The statistics that follow from mean, variance, rms and the extremes (crest, p2p) into `out`. */
export function setSpreadStats(out: TimeStats, mean: number, variance: number, rms: number, lo: number, hi: number): void {
  out.mean = mean;
  out.std = Math.sqrt(variance);
  out.rms = rms;
  out.min = lo;
  out.max = hi;
  out.p2p = hi - lo;
  out.crest = rms === 0 ? 0 : Math.max(Math.abs(lo), Math.abs(hi)) / rms;
}

/**
 * timeStats over n values of x, x[off], x[off + stride], ..., into `out` (reused by the pipeline
 * for every channel of every window, read straight from the window's [frame][channel] layout).
 * `moments` false skips the third and fourth moments (kurtosis and skewness are then NaN).
 */
export function timeStatsInto(x: Float64Array, n: number, out: TimeStats, moments = true, off = 0, stride = 1): void {
  if (n === 0) {
    out.mean = out.std = out.rms = out.min = out.max = out.p2p = out.crest = out.kurtosis = out.skewness = NaN;
    return;
  }
  let s = 0;
  let sq = 0;
  let lo = Infinity;
  let hi = -Infinity;
  const end = off + n * stride;
  for (let i = off; i < end; i += stride) {
    const v = x[i];
    s += v;
    sq += v * v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const mu = s / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  if (moments) {
    for (let i = off; i < end; i += stride) {
      const d = x[i] - mu;
      const d2 = d * d;
      m2 += d2;
      m3 += d2 * d;
      m4 += d2 * d2;
    }
  } else {
    for (let i = off; i < end; i += stride) {
      const d = x[i] - mu;
      m2 += d * d;
    }
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  setSpreadStats(out, mu, m2, Math.sqrt(sq / n), lo, hi);
  out.kurtosis = !moments ? NaN : m2 === 0 ? 0 : m4 / (m2 * m2);
  out.skewness = !moments ? NaN : m2 === 0 ? 0 : m3 / Math.pow(m2, 1.5);
}
