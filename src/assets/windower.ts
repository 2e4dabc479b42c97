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
 * Frames are written in place (place() gives the offset, commit() follows) into the arrays of
 * the window being filled, whose row i is the frame at nextStart + i * frameMs; a row no frame
 * reached is missing, never zero. A complete window is handed out as it is and the next one
 * starts in arrays recycled through release() (a sliding window first copies the rows the two
 * share): a typed array allocated per window costs microseconds here, and a copy of every
 * window costs cache misses, more than the statistics over it.
 */
export class Windower {
  private nextStart: number | undefined;
  private readonly sizeMs: number;
  private readonly stepMs: number;
  private readonly ch: number;
  /**
   * The window being filled; undefined between a tumbling cut and the next frame, so the next
   * window takes its arrays from the spares only then (when the model layer may already have
   * released the window just cut: then one set of arrays per asset keeps cycling, and stays hot).
   */
  private cur: OwnedWindow | undefined;
  /** Rows [0, rows) of cur hold frames (or were cleared); rows beyond hold stale data. */
  private rows = 0;
  private readonly spare: OwnedWindow[] = [];

  constructor(private readonly opts: WindowerOptions, private readonly onWindow: (w: RawWindow) => void) {
    this.sizeMs = opts.sizeFrames * opts.frameMs;
    this.stepMs = opts.stepFrames * opts.frameMs;
    this.ch = opts.channels.length;
  }

  /** The arrays the offsets of place() point into (valid after place(); they change when a window is cut). */
  get values(): Float64Array {
    return this.filling().values;
  }

  get cells(): Uint8Array {
    return this.filling().cells;
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
        this.filling();
        if (i > this.rows) this.clear(this.rows, i);
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
    const { values, cells } = this.filling();
    for (let c = 0; c < this.ch; c++) {
      values[at + c] = f.values[c];
      cells[at + c] = f.cells[c];
    }
    this.commit(f.ts);
  }

  reset(): void {
    this.rows = 0;
    this.nextStart = undefined;
  }

  /** Frames held for the window in progress. */
  buffered(): number {
    return this.rows;
  }

  /** Hands a window's arrays back once nobody reads them any more (after it was emitted). */
  release(w: RawWindow): void {
    if (this.spare.length < MAX_SPARE && w.channels === this.opts.channels && w.frames === this.opts.sizeFrames && w !== this.cur && !this.spare.includes(w as OwnedWindow)) this.spare.push(w as OwnedWindow);
  }

  /** Hands out the window at nextStart and moves on by one step. */
  private next(): void {
    const w = this.filling();
    const start = this.nextStart as number;
    const n = this.opts.sizeFrames;
    const step = this.opts.stepFrames;
    if (this.rows < n) this.clear(this.rows, n);
    w.start = start;
    w.end = start + this.sizeMs;
    for (let i = 0; i < n; i++) w.ts[i] = start + i * this.opts.frameMs;
    // A sliding window shares its last size - step rows with the next one: copied now, before
    // anyone may reuse this window's arrays.
    const keep = Math.max(0, this.rows - step);
    if (keep > 0) {
      const next = this.spare.pop() ?? this.fresh();
      next.values.set(w.values.subarray(step * this.ch, (step + keep) * this.ch));
      next.cells.set(w.cells.subarray(step * this.ch, (step + keep) * this.ch));
      this.cur = next;
    } else {
      this.cur = undefined;
    }
    this.rows = keep;
    this.nextStart = start + this.stepMs;
    this.onWindow(w);
  }

  /** Marks rows [from, to) of the window being filled missing. */
  private clear(from: number, to: number): void {
    const cur = this.filling();
    cur.values.fill(NaN, from * this.ch, to * this.ch);
    cur.cells.fill(CELL_MISSING, from * this.ch, to * this.ch);
  }

  /** The window being filled, taking arrays (a released window's, else new ones) if it has none yet. */
  private filling(): OwnedWindow {
    return (this.cur ??= this.spare.pop() ?? this.fresh());
  }

  private fresh(): OwnedWindow {
    const n = this.opts.sizeFrames;
    return { start: 0, end: 0, frames: n, channels: this.opts.channels, ts: new Float64Array(n), values: new Float64Array(n * this.ch), cells: new Uint8Array(n * this.ch) };
  }
}
