import { CELL_MISSING, type Frame, type RawWindow } from './frame';

export interface WindowerOptions {
  readonly type: 'time' | 'count';
  readonly sizeFrames: number;
  readonly stepFrames: number;
  readonly frameMs: number;
  readonly channels: readonly string[];
}

/** A RawWindow whose arrays the windower may fill again once it is released. */
interface OwnedWindow {
  start: number;
  end: number;
  readonly frames: number;
  readonly channels: readonly string[];
  readonly ts: Float64Array;
  readonly values: Float64Array;
  readonly cells: Uint8Array;
}

/** Released windows kept for reuse (windows in flight per asset are few; more are garbage). */
const MAX_SPARE = 8;

/**
 * Cuts the (contiguous) frame stream into windows of sizeFrames, every stepFrames (tumbling when
 * equal, sliding when step < size). Time windows start on multiples of the step on the epoch
 * clock, so every gateway cuts the same windows; count windows start at the first frame seen.
 * After a reset (a long gap) the next window starts afresh.
 *
 * Frames are written in place (place() gives the row, commit() follows) into a preallocated
 * [sizeFrames x channels] buffer whose row i is the frame at nextStart + i * frameMs (a row no
 * frame reached stays missing, never zero); a window is one copy of that buffer into arrays
 * recycled through release(): a typed array allocated per window costs microseconds here, more
 * than the statistics over it.
 */
export class Windower {
  /** The window buffer (row-major [frame][channel]): place() returns offsets into these. */
  readonly values: Float64Array;
  readonly cells: Uint8Array;
  private nextStart: number | undefined;
  private readonly sizeMs: number;
  private readonly stepMs: number;
  private readonly ch: number;
  /** Rows [0, rows) may hold frames; rows beyond are missing. */
  private rows = 0;
  private readonly spare: OwnedWindow[] = [];

  constructor(private readonly opts: WindowerOptions, private readonly onWindow: (w: RawWindow) => void) {
    this.sizeMs = opts.sizeFrames * opts.frameMs;
    this.stepMs = opts.stepFrames * opts.frameMs;
    this.ch = opts.channels.length;
    this.values = new Float64Array(opts.sizeFrames * this.ch).fill(NaN);
    this.cells = new Uint8Array(opts.sizeFrames * this.ch).fill(CELL_MISSING);
  }

  /**
   * The offset in values / cells where the frame starting at `ts` goes (first cutting the windows
   * it lies beyond), or -1 when no window needs it. Write the whole row, then call commit(ts).
   */
  place(ts: number): number {
    if (this.nextStart === undefined) {
      this.nextStart = this.opts.type === 'time' ? Math.ceil(ts / this.stepMs) * this.stepMs : ts;
    }
    if (ts < this.nextStart) return -1;
    for (;;) {
      const i = Math.round((ts - this.nextStart) / this.opts.frameMs);
      if (i < this.opts.sizeFrames) {
        if (i >= this.rows) this.rows = i + 1;
        return i * this.ch;
      }
      this.next();
    }
  }

  /** The row of the frame at `ts` is written: cuts the window it completes, if any. */
  commit(ts: number): void {
    while (this.nextStart !== undefined && ts + this.opts.frameMs >= this.nextStart + this.sizeMs) this.next();
  }

  /** place() + copy + commit() for a frame held elsewhere. */
  push(f: Frame): void {
    const at = this.place(f.ts);
    if (at < 0) return;
    for (let c = 0; c < this.ch; c++) {
      this.values[at + c] = f.values[c];
      this.cells[at + c] = f.cells[c];
    }
    this.commit(f.ts);
  }

  reset(): void {
    this.clearRows(0);
    this.nextStart = undefined;
  }

  /** Frames held for the window in progress. */
  buffered(): number {
    return this.rows;
  }

  /** Hands a window's arrays back once nobody reads them any more (after it was emitted). */
  release(w: RawWindow): void {
    if (this.spare.length < MAX_SPARE && w.values.length === this.values.length && w.channels === this.opts.channels) this.spare.push(w as OwnedWindow);
  }

  /** Cuts the window at nextStart and moves on by one step. */
  private next(): void {
    const start = this.nextStart as number;
    this.onWindow(this.cut(start));
    this.nextStart = start + this.stepMs;
    this.shift(this.opts.stepFrames);
  }

  private cut(start: number): RawWindow {
    const n = this.opts.sizeFrames;
    const w = this.spare.pop() ?? {
      start: 0, end: 0, frames: n, channels: this.opts.channels,
      ts: new Float64Array(n), values: new Float64Array(n * this.ch), cells: new Uint8Array(n * this.ch),
    };
    w.start = start;
    w.end = start + this.sizeMs;
    for (let i = 0; i < n; i++) w.ts[i] = start + i * this.opts.frameMs;
    w.values.set(this.values);
    w.cells.set(this.cells);
    return w;
  }

  /** Drops the first `step` rows (the window moved on by step frames). */
  private shift(step: number): void {
    const ch = this.ch;
    if (step >= this.rows) {
      this.clearRows(0);
      return;
    }
    this.values.copyWithin(0, step * ch, this.rows * ch);
    this.cells.copyWithin(0, step * ch, this.rows * ch);
    this.clearRows(this.rows - step);
  }

  /** Marks rows [from, rows) missing. */
  private clearRows(from: number): void {
    if (from < this.rows) {
      this.values.fill(NaN, from * this.ch, this.rows * this.ch);
      this.cells.fill(CELL_MISSING, from * this.ch, this.rows * this.ch);
    }
    this.rows = from;
  }
}
