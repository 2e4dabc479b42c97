/** Small statistics helpers for the simulator tests. */
export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export const std = (xs: readonly number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};

/** x minus its centred moving average of `k` samples (the "fast" part, as the calibration measures it). */
export function fastPart(xs: readonly number[], k = 120): number[] {
  const out: number[] = [];
  let sum = 0;
  const half = Math.floor(k / 2);
  for (let i = 0; i < k; i++) sum += xs[i]!;
  for (let i = half; i + k - half < xs.length; i++) {
    out.push(xs[i]! - sum / k);
    sum += xs[i + k - half]! - xs[i - half]!;
  }
  return out;
}

export function lag1(xs: readonly number[]): number {
  const m = mean(xs);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    den += (xs[i]! - m) ** 2;
    if (i > 0) num += (xs[i]! - m) * (xs[i - 1]! - m);
  }
  return num / den;
}

export function correlation(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let s = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    s += (a[i]! - ma) * (b[i]! - mb);
    sa += (a[i]! - ma) ** 2;
    sb += (b[i]! - mb) ** 2;
  }
  return s / Math.sqrt(sa * sb);
}
