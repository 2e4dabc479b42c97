/**
 * The normalized rows of one asset's latest window for one model input. A sliding window shares
 * all but `step` rows with the one before it, and a row never changes once it is in a window (the
 * aligner writes and fills a frame before the windower commits it), so only the new rows are
 * normalized and the window goes to the batch as one contiguous copy. Rows are matched by their
 * frame time and their first value (frame times only grow within a pipeline; the value guards
 * against a replay of old times with other data), so a reset, a skipped window or a new
 * normalization (a calibrated baseline, another model version) simply starts over.
 */
export class NormalizedRows {
  private buf: Float32Array;
  private ts: Float64Array;
  /** The raw value of the first model channel of each row. */
  private key: Float64Array;
  /** Rows [first, first + count) of buf hold the last window's rows, oldest first. */
  private first = 0;
  private count = 0;
  private offset: Float64Array | undefined;
  /** Rows normalized so far (the rest were reused). */
  normalized = 0;
  private scale: Float64Array | undefined;

  constructor(private readonly frames: number, private readonly width: number) {
    // Room for several windows: the kept rows move to the front once per (capacity - frames) rows.
    const capacity = 4 * frames;
    this.buf = new Float32Array(capacity * width);
    this.ts = new Float64Array(capacity);
    this.key = new Float64Array(capacity);
  }

  /**
   * Writes the window (every cell holding a value) normalized into out[at ..] as [frame][model
   * channel]: value of window channel channelIndex[j], (x - offset[j]) * scale[j].
   */
  write(values: Float64Array, ts: Float64Array, ch: number, channelIndex: readonly number[], offset: Float64Array, scale: Float64Array, out: Float32Array, at: number): void {
    const { frames, width } = this;
    if (offset !== this.offset || scale !== this.scale) {
      this.offset = offset;
      this.scale = scale;
      this.count = 0;
    }
    let p = 0;
    let reuse = 0;
    const end = this.first + this.count;
    const c0 = channelIndex[0];
    for (let i = this.first; i < end; i++) {
      if (this.ts[i] !== ts[0]) continue;
      // Both runs are consecutive frames on one grid: equal first and last times mean equal
      // times throughout, so only the ends are compared (with their first values).
      const n = Math.min(end - i, frames);
      const last = i + n - 1;
      if (this.ts[last] === ts[n - 1] && Object.is(this.key[i], values[c0]) && Object.is(this.key[last], values[(n - 1) * ch + c0])) {
        p = i;
        reuse = n;
      }
      break;
    }
    if (p + frames > this.ts.length) {
      this.buf.copyWithin(0, p * width, (p + reuse) * width);
      this.ts.copyWithin(0, p, p + reuse);
      this.key.copyWithin(0, p, p + reuse);
      p = 0;
    }
    const buf = this.buf;
    for (let r = reuse; r < frames; r++) {
      const from = r * ch;
      const to = (p + r) * width;
      for (let j = 0; j < width; j++) buf[to + j] = (values[from + channelIndex[j]] - offset[j]) * scale[j];
      this.ts[p + r] = ts[r];
      this.key[p + r] = values[from + c0];
    }
    this.normalized += frames - reuse;
    this.first = p;
    this.count = frames;
    out.set(buf.subarray(p * width, (p + frames) * width), at);
  }
}
