import { CELL_GOOD, CELL_MISSING, CELL_UNCERTAIN, type Frame } from './frame';

export interface AlignerOptions {
  readonly channels: number;
  readonly frameMs: number;
  readonly agg: 'last' | 'mean';
  /** More consecutive empty frames than this are not emitted one by one: the stream restarts. */
  readonly maxGapFrames: number;
}

interface OpenFrame {
  sum: Float64Array;
  count: Uint32Array;
  last: Float64Array;
  lastTs: Float64Array;
  uncertain: Uint8Array;
}

/**
 * Puts usable values of an asset's channels on a frameMs grid by source time. A frame stays open
 * until the watermark passes its end (the caller sets the watermark: newest source time minus the
 * allowed lateness, or the gateway clock when the sources go quiet), then it is emitted, in order,
 * even when empty, so windows see gaps as missing cells. A value for a frame already emitted is late.
 */
export class Aligner {
  private readonly open = new Map<number, OpenFrame>();
  /** Accumulators of closed frames, reused: a frame per second per asset adds up to a lot of garbage. */
  private readonly free: OpenFrame[] = [];
  /** Emitted frames handed back by the windower once no window needs them. */
  private readonly spareFrames: { ts: number; values: Float64Array; cells: Uint8Array }[] = [];
  private next: number | undefined;
  /** The frame the previous value went to: consecutive values mostly share one. */
  private lastK = NaN;
  private lastF: OpenFrame | undefined;

  constructor(
    private readonly opts: AlignerOptions,
    private readonly onFrame: (f: Frame) => void,
    private readonly onReset: (skippedFrames: number) => void,
  ) {}

  /** Returns false when the value's frame was already emitted (a late value, dropped). */
  add(channel: number, value: number, ts: number, uncertain: boolean): boolean {
    const k = Math.floor(ts / this.opts.frameMs);
    if (this.next !== undefined && k < this.next) return false;
    const f = this.frameAt(k);
    f.sum[channel] += value;
    f.count[channel]++;
    if (ts >= f.lastTs[channel]) {
      f.last[channel] = value;
      f.lastTs[channel] = ts;
    }
    if (uncertain) f.uncertain[channel] = 1;
    return true;
  }

  /** Emits every frame that ends at or before `watermark` (ms). */
  advance(watermark: number): void {
    const closeBelow = Math.floor(watermark / this.opts.frameMs);
    if (this.next === undefined) {
      const first = this.minOpen();
      if (first === undefined) return;
      this.next = first;
    }
    while (this.next < closeBelow) {
      const f = this.open.get(this.next);
      if (f) {
        this.open.delete(this.next);
        if (this.lastF === f) this.lastF = undefined;
        const frame = this.close(this.next, f);
        this.recycle(f);
        this.onFrame(frame);
        this.next++;
        continue;
      }
      const nextData = this.minOpen() ?? Infinity;
      const run = Math.min(nextData, closeBelow) - this.next;
      if (run > this.opts.maxGapFrames) {
        this.onReset(run);
        this.next += run;
        continue;
      }
      this.onFrame(this.empty(this.next));
      this.next++;
    }
  }

  /**
   * A frame that is already aligned (all channels at once, NaN = missing), for feeds that deliver
   * rows (replays, simulators). Returns false when its slot was already emitted (late).
   */
  addFrame(ts: number, values: ArrayLike<number>, uncertain = false): boolean {
    const k = Math.floor(ts / this.opts.frameMs);
    if (this.next !== undefined && k < this.next) return false;
    const f = this.frameAt(k);
    for (let c = 0; c < this.opts.channels; c++) {
      const v = values[c];
      if (!Number.isFinite(v)) continue;
      f.sum[c] += v;
      f.count[c]++;
      if (ts >= f.lastTs[c]) {
        f.last[c] = v;
        f.lastTs[c] = ts;
      }
      if (uncertain) f.uncertain[c] = 1;
    }
    return true;
  }

  /** Gives an emitted frame back for reuse; the caller must hold no reference to it any more. */
  reuse(f: Frame): void {
    if (this.spareFrames.length < 256 && f.values.length === this.opts.channels) this.spareFrames.push(f as { ts: number; values: Float64Array; cells: Uint8Array });
  }

  private frameAt(k: number): OpenFrame {
    if (k === this.lastK && this.lastF) return this.lastF;
    let f = this.open.get(k);
    if (!f) {
      f = this.free.pop() ?? this.fresh();
      this.open.set(k, f);
    }
    this.lastK = k;
    this.lastF = f;
    return f;
  }

  /** Frames open (waiting for the watermark). */
  pending(): number {
    return this.open.size;
  }

  private minOpen(): number | undefined {
    let m: number | undefined;
    for (const k of this.open.keys()) if (m === undefined || k < m) m = k;
    return m;
  }

  private fresh(): OpenFrame {
    const n = this.opts.channels;
    return { sum: new Float64Array(n), count: new Uint32Array(n), last: new Float64Array(n), lastTs: new Float64Array(n).fill(-Infinity), uncertain: new Uint8Array(n) };
  }

  private recycle(f: OpenFrame): void {
    // Plain loops: TypedArray.fill costs more than the work on a dozen channels.
    for (let c = 0; c < f.sum.length; c++) {
      f.sum[c] = 0;
      f.count[c] = 0;
      f.lastTs[c] = -Infinity;
      f.uncertain[c] = 0;
    }
    if (this.free.length < 64) this.free.push(f);
  }

  private close(k: number, f: OpenFrame): Frame {
    const n = this.opts.channels;
    const out = this.spareFrames.pop() ?? { ts: 0, values: new Float64Array(n), cells: new Uint8Array(n) };
    const { values, cells } = out;
    for (let c = 0; c < n; c++) {
      if (f.count[c] === 0) {
        values[c] = NaN;
        cells[c] = CELL_MISSING;
      } else {
        values[c] = this.opts.agg === 'mean' ? f.sum[c] / f.count[c] : f.last[c];
        cells[c] = f.uncertain[c] ? CELL_UNCERTAIN : CELL_GOOD;
      }
    }
    out.ts = k * this.opts.frameMs;
    return out;
  }

  private empty(k: number): Frame {
    const n = this.opts.channels;
    return { ts: k * this.opts.frameMs, values: new Float64Array(n).fill(NaN), cells: new Uint8Array(n).fill(CELL_MISSING) };
  }
}
