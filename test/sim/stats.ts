/** Small statistics helpers for the simulator tests. */
import { mean } from '../../src/sim/calibrate';

export { mean, std } from '../../src/sim/calibrate';

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

export { corr as correlation } from '../../src/sim/calibrate';
