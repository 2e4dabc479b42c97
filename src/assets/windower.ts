import { CELL_MISSING, CELL_UNCERTAIN, type Frame, type RawWindow } from './frame';

export interface WindowerOptions {
  readonly type: 'time' | 'count';
  readonly sizeFrames: number;
  readonly stepFrames: number;
  readonly frameMs: number;
  readonly channels: readonly string[];
}

/** A window as the windower hands it out: the frames, and the cell counts taken as rows were committed. */
export interface CutWindow extends RawWindow {
  /** Cells holding a value (good, uncertain or filled). */
  readonly present: number;
  /** Cells holding an uncertain value. */
  readonly uncertain: number;
  readonly stream: number;
}

/**
 * Rows of frames with room for several windows; a window is a view on `size` consecutive rows.
 * Per row it keeps the cells that hold a value and the uncertain ones, counted at commit.
 */
interface Ring {
  readonly owner: Windower;
  /** Capacity in rows. */
  readonly rows: number;
  readonly ts: Float64Array;
  readonly values: Float64Array;
  readonly cells: Uint8Array;
  readonly present: Int32Array;
  readonly uncertain: Int32Array;
  /** Windows cut from this ring and not released yet: their rows must not be written again. */
  held: number;
  /** The view of the window starting at each row, made once and reused (when the windower keeps views). */
  readonly views: (OwnedWindow | undefined)[];
}

interface OwnedWindow extends CutWindow {
  start: number;
  end: number;
  present: number;
  uncertain: number;
  stream: number;
  readonly ring: Ring;
  held: boolean;
}

/** Rings with no window held, kept for reuse (windows in flight per asset are few; more are garbage). */
const MAX_SPARE = 8;
/** Windows a sliding ring holds before its rows are compacted to the front. */
const RING_WINDOWS = 4;
/**
 * A ring keeps the view of each window it cut for the next window at the same row (three
 * subarrays and an object each time cost a few hundred ns) when it cuts at most this many
 * windows per pass: a long window sliding by one frame would keep thousands.
 */
const MAX_VIEWS = 200;

/** Stream ids, unique across windowers (a featurizer may see windows of more than one). */
let streams = 0;

/**
 * Cuts the (contiguous) frame stream into windows of sizeFrames, every stepFrames (tumbling when
 * equal, sliding when step < size). Time windows start on multiples of the step on the epoch
 * clock, so every gateway cuts the same windows; count windows start at the first frame seen.
 * After a reset (a long gap) the next window starts afresh.
 *
 * Frames are written in place (place() gives the offset, commit() follows) into the rows of the
 * window being filled, whose row i is the frame at nextStart + i * frameMs; a row no frame
 * reached is missing, never zero. A window is handed out as a view on its rows: sliding windows
 * share the rows of the frames they both cover (a ring of RING_WINDOWS windows' rows; the rows
 * still needed are copied to its front when its end is reached: size - step rows every
 * (RING_WINDOWS - 1) * size / step windows, a third of a row per window sliding by one), so a
 * window costs the rows that are new, not its size. Tumbling windows each take a ring of
 * one window, recycled through release() (a typed array allocated per window costs microseconds
 * here). Rows of a window handed out are never written again until it is released: a ring with
 * a window held is left as it is, and filling goes on in another.
 *
 * Frames must come in time order (the aligner's do); a frame placed on a row already written
 * moves the window being filled to rows of its own first, so windows handed out keep theirs.
 */
export class Windower {
  private nextStart: number | undefined;
  private readonly sizeMs: number;
  private readonly stepMs: number;
  private readonly ch: number;
  private readonly size: number;
  private readonly step: number;
  /** Rows per ring: room for several sliding windows, or one when windows share no row. */
  private readonly ringRows: number;
  /** Rings keep their windows' views for reuse (MAX_VIEWS). */
  private readonly keepViews: boolean;
  /**
   * The ring the window being filled is in; undefined between a tumbling cut and the next frame,
   * so the next window takes a ring from the spares only then (when the model layer may already
   * have released the window just cut: then one ring per asset keeps cycling, and stays hot).
   */
  private ring: Ring | undefined;
  /** Ring row of the window's row 0. */
  private base = 0;
  /** Rows [0, rows) of the window hold frames (or were cleared); rows beyond hold stale data. */
  private rows = 0;
  /** Rows [0, shared) of the window belong to a window handed out too (written, so immutable). */
  private shared = 0;
  /** Row of the last place(), counted at commit(); -1: none. */
  private placed = -1;
  /** Cells holding a value / uncertain ones over rows [0, rows). */
  private present = 0;
  private uncertain = 0;
  private stream = ++streams;
  /** The current run of frames (since the first one or the last reset) has handed out a window. */
  private cutInStream = false;
  private readonly spare: Ring[] = [];

  constructor(private readonly opts: WindowerOptions, private readonly onWindow: (w: CutWindow) => void) {
    this.sizeMs = opts.sizeFrames * opts.frameMs;
    this.stepMs = opts.stepFrames * opts.frameMs;
    this.ch = opts.channels.length;
    this.size = opts.sizeFrames;
    this.step = opts.stepFrames;
    this.ringRows = this.step < this.size ? RING_WINDOWS * this.size : this.size;
    this.keepViews = (this.ringRows - this.size) / this.step + 1 <= MAX_VIEWS;
  }

  /** The arrays the offsets of place() point into (valid after place(); they change when a window is cut). */
  get values(): Float64Array {
    return (this.ring ?? this.filling()).values;
  }

  get cells(): Uint8Array {
    return (this.ring ?? this.filling()).cells;
  }

  /**
   * The offset in values / cells where the frame starting at `ts` goes (first cutting the windows
   * it lies beyond), or -1 when no window needs it. Write the whole row, then call commit(ts).
   */
  place(ts: number): number {
    const start = this.nextStart;
    const ring = this.ring;
    if (start !== undefined && ring !== undefined && ts >= start) {
      const i = Math.round((ts - start) / this.opts.frameMs);
      if (i === this.rows && i < this.size && this.base + this.size <= ring.rows) {
        // the next row of the window, with room in its ring: nearly every frame (kept small, so it inlines)
        const r = this.base + i;
        ring.ts[r] = start + i * this.opts.frameMs;
        this.rows = i + 1;
        this.placed = i;
        return r * this.ch;
      }
    }
    return this.placeAny(ts);
  }

  /** place() for any frame: the first, one beyond the window (cutting it), one after skipped rows or written again. */
  private placeAny(ts: number): number {
    if (this.nextStart === undefined) {
      this.nextStart = this.opts.type === 'time' ? Math.ceil(ts / this.stepMs) * this.stepMs : ts;
    }
    if (ts < this.nextStart) return -1;
    for (;;) {
      const i = Math.round((ts - this.nextStart) / this.opts.frameMs);
      // between two windows that share no frame (step > size): no window needs it
      if (i < 0) return -1;
      if (i < this.size) {
        if (i < this.shared) this.detach();
        const ring = this.filling();
        const r = this.base + i;
        if (i < this.rows) {
          // written again (out of order): its counts are taken anew at commit
          this.present -= ring.present[r];
          this.uncertain -= ring.uncertain[r];
        } else {
          if (i > this.rows) this.clear(this.rows, i);
          this.rows = i + 1;
        }
        ring.ts[r] = this.nextStart + i * this.opts.frameMs;
        this.placed = i;
        return r * this.ch;
      }
      this.next();
    }
  }

  /**
   * The row of the frame at `ts` is written: takes its counts of cells holding a value and of
   * uncertain ones (counted here when not given), and cuts the window it completes, if any.
   */
  commit(ts: number, present = -1, uncertain = 0): void {
    const ring = this.ring;
    if (this.placed >= 0 && ring) {
      const r = this.base + this.placed;
      if (present < 0) {
        const cells = ring.cells;
        present = 0;
        uncertain = 0;
        for (let at = r * this.ch, end = at + this.ch; at < end; at++) {
          const s = cells[at];
          if (s !== CELL_MISSING) present++;
          if (s === CELL_UNCERTAIN) uncertain++;
        }
      }
      ring.present[r] = present;
      ring.uncertain[r] = uncertain;
      this.present += present;
      this.uncertain += uncertain;
      this.placed = -1;
    }
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
    // rows [0, shared) belong to the last window handed out: the next window starts after them
    this.base += this.shared;
    this.rows = 0;
    this.shared = 0;
    this.placed = -1;
    this.present = 0;
    this.uncertain = 0;
    this.nextStart = undefined;
    this.stream = ++streams;
    this.cutInStream = false;
  }

  /** Frames held for the window in progress. */
  buffered(): number {
    return this.rows;
  }

  /** Frames held toward the first window since the start or the last reset; undefined once it was handed out. */
  firstWindowFill(): number | undefined {
    return this.cutInStream ? undefined : this.rows;
  }

  /** Hands a window's rows back once nobody reads them any more (after it was emitted). */
  release(w: RawWindow): void {
    const o = w as Partial<OwnedWindow>;
    const ring = o.ring;
    if (!ring || ring.owner !== this || !o.held) return;
    o.held = false;
    if (--ring.held === 0 && ring !== this.ring && this.spare.length < MAX_SPARE) this.spare.push(ring);
  }

  /** Hands out the window at nextStart and moves on by one step. */
  private next(): void {
    const n = this.size;
    const step = this.step;
    const start = this.nextStart as number;
    if (this.rows < n) {
      this.filling();
      this.clear(this.rows, n);
      // the cleared rows are part of the window handed out (missing in the next one too)
      this.rows = n;
    }
    const ring = this.ring as Ring;
    const w = this.keepViews ? (ring.views[this.base] ??= this.view(ring, this.base)) : this.view(ring, this.base);
    w.start = start;
    w.end = start + this.sizeMs;
    w.present = this.present;
    w.uncertain = this.uncertain;
    w.stream = this.stream;
    w.held = true;
    ring.held++;
    if (step < n) {
      // the next window shares this one's last size - step rows, in place
      for (let r = this.base, end = r + step; r < end; r++) {
        this.present -= ring.present[r];
        this.uncertain -= ring.uncertain[r];
      }
      this.base += step;
      this.rows = n - step;
      this.shared = this.rows;
    } else {
      this.ring = undefined;
      this.base = 0;
      this.rows = 0;
      this.shared = 0;
      this.present = 0;
      this.uncertain = 0;
    }
    this.nextStart = start + this.stepMs;
    this.cutInStream = true;
    this.onWindow(w);
  }

  /** Marks rows [from, to) of the window being filled missing. */
  private clear(from: number, to: number): void {
    const ring = this.filling();
    const ch = this.ch;
    const r0 = this.base;
    ring.values.fill(NaN, (r0 + from) * ch, (r0 + to) * ch);
    ring.cells.fill(CELL_MISSING, (r0 + from) * ch, (r0 + to) * ch);
    ring.present.fill(0, r0 + from, r0 + to);
    ring.uncertain.fill(0, r0 + from, r0 + to);
    const t0 = this.nextStart as number;
    for (let i = from; i < to; i++) ring.ts[r0 + i] = t0 + i * this.opts.frameMs;
  }

  /**
   * The ring of the window being filled, with room for all of its rows: a new window takes a
   * spare ring (else a new one); one that would run past its ring's end moves its rows to the
   * front of the ring (when no window of it is held) or of another.
   */
  private filling(): Ring {
    const ring = this.ring;
    if (ring === undefined) {
      this.base = 0;
      return (this.ring = this.take());
    }
    if (this.base + this.size > ring.rows) this.move(ring.held === 0 ? ring : this.take());
    return this.ring as Ring;
  }

  /** Moves the window being filled to the front of `to` (its rows written so far with it). */
  private move(to: Ring): void {
    const from = this.ring as Ring;
    const { base, rows, ch } = this;
    if (rows > 0) {
      if (to === from) {
        from.values.copyWithin(0, base * ch, (base + rows) * ch);
        from.cells.copyWithin(0, base * ch, (base + rows) * ch);
        from.ts.copyWithin(0, base, base + rows);
        from.present.copyWithin(0, base, base + rows);
        from.uncertain.copyWithin(0, base, base + rows);
      } else {
        to.values.set(from.values.subarray(base * ch, (base + rows) * ch));
        to.cells.set(from.cells.subarray(base * ch, (base + rows) * ch));
        to.ts.set(from.ts.subarray(base, base + rows));
        to.present.set(from.present.subarray(base, base + rows));
        to.uncertain.set(from.uncertain.subarray(base, base + rows));
      }
    }
    if (to !== from && from.held === 0 && this.spare.length < MAX_SPARE) this.spare.push(from);
    this.ring = to;
    this.base = 0;
    // the copies are the window's own: nothing handed out shares them
    this.shared = 0;
  }

  /**
   * A row shared with a window handed out is to be written again: the window being filled moves
   * to rows of its own first, and starts a new stream (its frames differ from the last window's).
   */
  private detach(): void {
    const ring = this.filling();
    this.move(this.take(ring));
    this.stream = ++streams;
  }

  /** A ring with no window held (a spare, else a new one), other than `not`. */
  private take(not?: Ring): Ring {
    const last = this.spare.length - 1;
    if (last >= 0 && this.spare[last] !== not) return this.spare.pop() as Ring;
    for (let i = last - 1; i >= 0; i--) {
      const r = this.spare[i];
      if (r !== not && r.held === 0) {
        this.spare.splice(i, 1);
        return r;
      }
    }
    const n = this.ringRows;
    return { owner: this, rows: n, ts: new Float64Array(n), values: new Float64Array(n * this.ch), cells: new Uint8Array(n * this.ch), present: new Int32Array(n), uncertain: new Int32Array(n), held: 0, views: [] };
  }

  private view(ring: Ring, base: number): OwnedWindow {
    const n = this.size;
    const ch = this.ch;
    return {
      start: 0, end: 0, frames: n, channels: this.opts.channels, present: 0, uncertain: 0, stream: 0, ring, held: false,
      ts: ring.ts.subarray(base, base + n), values: ring.values.subarray(base * ch, (base + n) * ch), cells: ring.cells.subarray(base * ch, (base + n) * ch),
    };
  }
}
