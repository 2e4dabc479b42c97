import { CELL_MISSING, type Frame, type RawWindow } from './frame';

export interface WindowerOptions {
  readonly type: 'time' | 'count';
  readonly sizeFrames: number;
  readonly stepFrames: number;
  readonly frameMs: number;
  readonly channels: readonly string[];
}

/**
 * Cuts the (contiguous) frame stream into windows of sizeFrames, every stepFrames (tumbling when
 * equal, sliding when step < size). Time windows start on multiples of the step on the epoch
 * clock, so every gateway cuts the same windows; count windows start at the first frame seen.
 * After a reset (a long gap) the next window starts afresh.
 */
export class Windower {
  private buf: Frame[] = [];
  private nextStart: number | undefined;
  private readonly sizeMs: number;
  private readonly stepMs: number;

  /** `onEvict` gets each frame once no window needs it any more (the aligner reuses it). */
  constructor(private readonly opts: WindowerOptions, private readonly onWindow: (w: RawWindow) => void, private readonly onEvict: (f: Frame) => void = () => undefined) {
    this.sizeMs = opts.sizeFrames * opts.frameMs;
    this.stepMs = opts.stepFrames * opts.frameMs;
  }

  push(f: Frame): void {
    if (this.nextStart === undefined) {
      this.nextStart = this.opts.type === 'time' ? Math.ceil(f.ts / this.stepMs) * this.stepMs : f.ts;
    }
    if (f.ts < this.nextStart) {
      this.onEvict(f);
      return;
    }
    this.buf.push(f);
    while (f.ts + this.opts.frameMs >= this.nextStart + this.sizeMs) {
      this.onWindow(this.cut(this.nextStart));
      this.nextStart += this.stepMs;
      let drop = 0;
      while (drop < this.buf.length && this.buf[drop].ts < this.nextStart) this.onEvict(this.buf[drop++]);
      if (drop > 0) this.buf.splice(0, drop);
    }
  }

  reset(): void {
    for (const f of this.buf) this.onEvict(f);
    this.buf = [];
    this.nextStart = undefined;
  }

  /** Frames held for the window in progress. */
  buffered(): number {
    return this.buf.length;
  }

  private cut(start: number): RawWindow {
    const n = this.opts.sizeFrames;
    const ch = this.opts.channels.length;
    const ts = new Float64Array(n);
    // Frames arrive contiguous, but place each by its time anyway: a hole stays missing, never zero.
    const values = new Float64Array(n * ch).fill(NaN);
    const cells = new Uint8Array(n * ch).fill(CELL_MISSING);
    for (let i = 0; i < n; i++) ts[i] = start + i * this.opts.frameMs;
    for (const f of this.buf) {
      const i = Math.round((f.ts - start) / this.opts.frameMs);
      if (i < 0 || i >= n) continue;
      values.set(f.values, i * ch);
      cells.set(f.cells, i * ch);
    }
    return { start, end: start + this.sizeMs, frames: n, channels: this.opts.channels, ts, values, cells };
  }
}
