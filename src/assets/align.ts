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
  private next: number | undefined;

  constructor(
    private readonly opts: AlignerOptions,
    private readonly onFrame: (f: Frame) => void,
    private readonly onReset: (skippedFrames: number) => void,
  ) {}

  /** Returns false when the value's frame was already emitted (a late value, dropped). */
  add(channel: number, value: number, ts: number, uncertain: boolean): boolean {
    const k = Math.floor(ts / this.opts.frameMs);
    if (this.next !== undefined && k < this.next) return false;
    let f = this.open.get(k);
    if (!f) {
      const n = this.opts.channels;
      f = { sum: new Float64Array(n), count: new Uint32Array(n), last: new Float64Array(n), lastTs: new Float64Array(n).fill(-Infinity), uncertain: new Uint8Array(n) };
      this.open.set(k, f);
    }
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
        this.onFrame(this.close(this.next, f));
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

  /** Frames open (waiting for the watermark). */
  pending(): number {
    return this.open.size;
  }

  private minOpen(): number | undefined {
    let m: number | undefined;
    for (const k of this.open.keys()) if (m === undefined || k < m) m = k;
    return m;
  }

  private close(k: number, f: OpenFrame): Frame {
    const n = this.opts.channels;
    const values = new Float64Array(n);
    const cells = new Uint8Array(n);
    for (let c = 0; c < n; c++) {
      if (f.count[c] === 0) {
        values[c] = NaN;
        cells[c] = CELL_MISSING;
      } else {
        values[c] = this.opts.agg === 'mean' ? f.sum[c] / f.count[c] : f.last[c];
        cells[c] = f.uncertain[c] ? CELL_UNCERTAIN : CELL_GOOD;
      }
    }
    return { ts: k * this.opts.frameMs, values, cells };
  }

  private empty(k: number): Frame {
    const n = this.opts.channels;
    return { ts: k * this.opts.frameMs, values: new Float64Array(n).fill(NaN), cells: new Uint8Array(n).fill(CELL_MISSING) };
  }
}
