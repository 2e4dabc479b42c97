import type { RawWindow } from '../assets/frame';

/**
 * The normalized rows of one asset's latest window for one model input. A sliding window shares
 * all but `step` rows with the one before it, and windows of one windower stream hold the same
 * values for the frames they both cover (RawWindow.stream), so only the new rows are normalized
 * and the window goes to the batch as one contiguous copy. Another stream (a reset), a jump of a
 * window or more, or a new normalization (a calibrated baseline) starts over.
 */
export class NormalizedRows {
  private readonly buf: Float32Array;
  /** Rows held: room for several windows, so the kept rows move to the front only now and then. */
  private readonly capacity: number;
  /** Row of buf holding row 0 of the last window written; that window's stream and start. */
  private first = 0;
  private stream: number | undefined;
  private start = 0;
  private offset: Float64Array | undefined;
  private scale: Float64Array | undefined;
  /** Rows normalized so far (the rest were reused). */
  normalized = 0;

  constructor(private readonly frames: number, private readonly width: number) {
    this.capacity = 4 * frames;
    this.buf = new Float32Array(this.capacity * width);
  }

  /**
   * Writes the window (every cell holding a value) normalized into out[at ..] as [frame][model
   * channel]: value of window channel channelIndex[j], (x - offset[j]) * scale[j].
   */
  write(w: RawWindow, channelIndex: readonly number[], offset: Float64Array, scale: Float64Array, out: Float32Array, at: number): void {
    const { frames, width, buf } = this;
    // frames the window moved on by since the last one written, when both are of one stream
    const moved = w.stream !== undefined && w.stream === this.stream && offset === this.offset && scale === this.scale
      ? ((w.start - this.start) * frames) / (w.end - w.start) : 0;
    const reuse = moved > 0 && moved < frames && Number.isInteger(moved) ? frames - moved : 0;
    let p = reuse > 0 ? this.first + moved : 0;
    if (p + frames > this.capacity) {
      buf.copyWithin(0, p * width, (p + reuse) * width);
      p = 0;
    }
    const ch = w.channels.length;
    const values = w.values;
    for (let r = reuse; r < frames; r++) {
      const from = r * ch;
      const to = (p + r) * width;
      for (let j = 0; j < width; j++) buf[to + j] = (values[from + channelIndex[j]] - offset[j]) * scale[j];
    }
    this.normalized += frames - reuse;
    this.first = p;
    this.stream = w.stream;
    this.start = w.start;
    this.offset = offset;
    this.scale = scale;
    out.set(buf.subarray(p * width, (p + frames) * width), at);
  }
}
