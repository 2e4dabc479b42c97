import { setSpreadStats, type TimeStats } from './stats';

/**
 * A variance this much smaller than the mean square around the reference has lost too many digits
 * to cancellation (the mean drifted far from the reference, or the values went flat): the sums
 * are then worked out afresh. 1e4 keeps about 12 of the 16 digits of the variance.
 */
const CANCELLATION = 1e4;

/**
 * The sums are rebuilt from scratch after this many windows' worth of rows slid. Rounding grows
 * with the rows slid; at 4 windows the two accuracy tests (noise; 1e6 offsets with a 1e-3 spread)
 * stay within 1e-11 of the spread (their bound is 1e-9). Rebuilt after every window instead, a
 * window sliding by a third of its length paid for a computation from scratch at every fourth
 * window (~0.5 us a window for 14 channels).
 */
export const REBUILD_WINDOWS = 4;

/**
 * mean, std, rms, min, max, p2p and crest factor of every channel of a window sliding over a
 * stream of rows, updated from the rows that enter and leave instead of rescanning the window
 * (a sliding window by one frame shares all but one row with the previous one).
 *
 * Sums are of x - ref, with a per-channel reference (the channel's mean at the last exact load),
 * so the variance keeps its digits when the values are large and their spread small. min / max
 * are rescanned only when a value leaving was the extreme and no value entering replaces it.
 * The sums are rebuilt exactly (load()) at least every REBUILD_WINDOWS x `size` rows slid, and whenever the
 * variance lost digits to cancellation; until then results agree with a computation from scratch
 * to about 1e-12 relative (std: of the channel's spread).
 *
 * Every value must be finite (a window whose cells all hold a value); the caller falls back to
 * the computation from scratch otherwise.
 */
export class SlidingStats {
  /** The window's rows as last seen ([row][channel], a ring starting at row `head`): what leaves. */
  private readonly rows: Float64Array;
  private head = 0;
  private slid = 0;
  private readonly ref: Float64Array;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;

  constructor(readonly channels: number, readonly size: number) {
    this.rows = new Float64Array(size * channels);
    this.ref = new Float64Array(channels);
    this.s1 = new Float64Array(channels);
    this.s2 = new Float64Array(channels);
    this.lo = new Float64Array(channels);
    this.hi = new Float64Array(channels);
  }

  /** Takes a whole window (`size` rows of values [row][channel]) and works the sums out exactly. */
  load(values: Float64Array): void {
    const { channels: ch, size: n } = this;
    this.rows.set(values.subarray(0, n * ch));
    this.head = 0;
    this.slid = 0;
    for (let c = 0; c < ch; c++) {
      let s = 0;
      for (let at = c; at < n * ch; at += ch) s += values[at];
      const ref = s / n;
      let s1 = 0;
      let s2 = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let at = c; at < n * ch; at += ch) {
        const x = values[at];
        const d = x - ref;
        s1 += d;
        s2 += d * d;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      this.ref[c] = ref;
      this.s1[c] = s1;
      this.s2[c] = s2;
      this.lo[c] = lo;
      this.hi[c] = hi;
    }
  }

  /**
   * The window moved on by k rows (0 < k < size): `values` is the new window, whose last k rows
   * are new and whose others are the last size - k rows of the previous one. Returns false when
   * the sums must be loaded afresh (they are then undefined until load()).
   */
  slide(values: Float64Array, k: number): boolean {
    const { channels: ch, size: n, rows, ref, s1, s2, lo, hi } = this;
    if (this.slid + k > REBUILD_WINDOWS * n) return false;
    const head = this.head;
    for (let c = 0; c < ch; c++) {
      const r = ref[c];
      let a = s1[c];
      let b = s2[c];
      let min = lo[c];
      let max = hi[c];
      // the smallest value entering at or below the old minimum (largest at or above the maximum),
      // and whether the old extreme left. Only values beyond the old extremes are compared further:
      // they are rare, so these branches are predicted, where a running minimum of every value
      // entering mispredicts on noisy data (~4 ns a value, measured on the SKAB-like bench stream).
      let inMin = Infinity;
      let inMax = -Infinity;
      let minLeft = false;
      let maxLeft = false;
      for (let j = 0, o = head; j < k; j++, o = o + 1 === n ? 0 : o + 1) {
        const at = o * ch + c;
        const xo = rows[at];
        const xi = values[(n - k + j) * ch + c];
        const dOut = xo - r;
        const dIn = xi - r;
        a += dIn - dOut;
        b += dIn * dIn - dOut * dOut;
        if (xo <= min) minLeft = true;
        if (xo >= max) maxLeft = true;
        if (xi <= min && xi < inMin) inMin = xi;
        if (xi >= max && xi > inMax) inMax = xi;
        rows[at] = xi;
      }
      const d = a / n;
      if (!(b <= CANCELLATION * n * (b / n - d * d))) return false;
      // every value left is >= min: a value entering at or below it is the new minimum; if none
      // did and the minimum left, only a scan finds the next one (likewise the maximum)
      if (inMin <= min) min = inMin;
      else if (minLeft) min = scan(values, c, ch, n, true);
      if (inMax >= max) max = inMax;
      else if (maxLeft) max = scan(values, c, ch, n, false);
      s1[c] = a;
      s2[c] = b;
      lo[c] = min;
      hi[c] = max;
    }
    this.head = (head + k) % n;
    this.slid += k;
    return true;
  }

  /** Channel c's statistics into `out` (kurtosis and skewness are not kept: NaN). */
  statsInto(c: number, out: TimeStats): void {
    const n = this.size;
    const d = this.s1[c] / n;
    const mean = this.ref[c] + d;
    const v = Math.max(0, this.s2[c] / n - d * d);
    // mean of x^2 = variance + mean^2
    setSpreadStats(out, mean, v, Math.sqrt(v + mean * mean), this.lo[c], this.hi[c]);
    out.kurtosis = NaN;
    out.skewness = NaN;
  }
}

/** The smallest (or largest) of channel c over n rows of values [row][channel]. */
function scan(values: Float64Array, c: number, ch: number, n: number, smallest: boolean): number {
  let m = values[c];
  for (let at = c + ch; at < n * ch; at += ch) {
    const x = values[at];
    if (smallest ? x < m : x > m) m = x;
  }
  return m;
}
