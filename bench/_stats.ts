/** Small statistics shared by the benchmarks. */

/** The median (mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Rounded to 2 decimals (ratios). */
export function r2(x: number): number {
  return Math.round(x * 100) / 100;
}
