import { CELL_GOOD, CELL_MISSING, CELL_UNCERTAIN, type FrameRow, type FrameSink } from './frame';
import { FRAME_SLOTS, OpenFrames, SLOT_ROW_TS, SLOT_ROW_UNCERTAIN, SLOT_USED, type OpenFrame } from './open-frames';

export interface AlignerOptions {
  readonly channels: number;
  readonly frameMs: number;
  readonly agg: 'last' | 'mean';
  /** More consecutive empty frames than this are not emitted one by one: the stream restarts. */
  readonly maxGapFrames: number;
}

/**
 * Puts usable values of an asset's channels on a frameMs grid by source time. A frame stays open
 * until the watermark passes its end (the caller sets the watermark: newest source time minus the
 * allowed lateness, or the gateway clock when the sources go quiet), then it is written to the
 * sink, in order, even when empty, so windows see gaps as missing cells. A value for a frame
 * already emitted is late.
 *
 * Open frames keep [count | sum | last | lastTs | uncertain] per channel in one array (see
 * OpenFrame); a channel's first value of a frame sets them, so closing a frame only clears counts.
 */
export class Aligner {
  private readonly open: OpenFrames;
  private next: number | undefined;
  /** The frame the previous value went to: consecutive values mostly share one. */
  private lastK = NaN;
  private lastF: OpenFrame | undefined;
  private readonly agg: 'last' | 'mean';
  /** The last stamp add() saw and its frame index. */
  private lastStamp = NaN;
  private lastStampK = NaN;

  constructor(
    private readonly opts: AlignerOptions,
    private readonly sink: FrameSink,
    private readonly onReset: (skippedFrames: number) => void,
  ) {
    this.open = new OpenFrames(opts.channels);
    this.agg = opts.agg;
  }

  /** Returns false when the value's frame was already emitted (a late value, dropped). */
  add(channel: number, value: number, ts: number, uncertain: boolean): boolean {
    // Values of one poll or row share their time stamp: one division per stamp, not per value.
    let k = this.lastStampK;
    if (ts !== this.lastStamp) {
      k = Math.floor(ts / this.opts.frameMs);
      this.lastStamp = ts;
      this.lastStampK = k;
    }
    const f = this.openFrame(k);
    if (f === undefined) return false;
    this.accumulate(f, this.opts.channels, channel, value, ts, uncertain);
    return true;
  }

  /**
   * The open frame for values stamped `ts`, ready for put(), or undefined when that frame was
   * already emitted (values for it are late). For a run of values sharing one stamp (a Modbus
   * read): the frame is found once, not once per value.
   */
  frameFor(ts: number): OpenFrame | undefined {
    return this.liveFrame(Math.floor(ts / this.opts.frameMs));
  }

  /**
   * One good value stamped `ts` into the frame frameFor(ts) returned (before any advance()).
   * A frame whose channels each get at most one good value (a poll per frame, the usual case)
   * stays a row: two stores per value (value, time) instead of five accumulators.
   */
  put(f: OpenFrame, channel: number, value: number, ts: number): void {
    const n = this.opts.channels;
    const slots = FRAME_SLOTS * n;
    if (f[slots + SLOT_USED] === 0) this.startRow(f, n, ts);
    if (f[slots + SLOT_ROW_TS] === f[slots + SLOT_ROW_TS]) {
      const last = 2 * n + channel;
      if (f[last] !== f[last] && f[slots + SLOT_ROW_UNCERTAIN] === 0) {
        f[last] = value;
        f[last + n] = ts;
        return;
      }
      this.expand(f, n);
    }
    this.accumulate(f, n, channel, value, ts, false);
  }

  /** Frame k, marked used and ready to accumulate into, or undefined when it was already emitted. */
  private openFrame(k: number): OpenFrame | undefined {
    const f = this.liveFrame(k);
    if (f === undefined) return undefined;
    const n = this.opts.channels;
    if (f[FRAME_SLOTS * n + SLOT_ROW_TS] === f[FRAME_SLOTS * n + SLOT_ROW_TS]) this.expand(f, n);
    f[FRAME_SLOTS * n + SLOT_USED] = 1;
    return f;
  }

  /**
   * A frame that is already aligned (all channels at once, NaN = missing), for feeds that deliver
   * rows (replays, simulators). Returns -1 when its slot was already emitted (late), else the
   * number of infinite values in it (skipped like NaN; the caller reports them).
   */
  addFrame(ts: number, values: ArrayLike<number>, uncertain = false): number {
    const k = Math.floor(ts / this.opts.frameMs);
    if (this.next !== undefined && k < this.next) return -1;
    const f = this.frameAt(k);
    const n = this.opts.channels;
    const slots = FRAME_SLOTS * n;
    let infinite = 0;
    if (f[slots + SLOT_USED] === 0) {
      // The frame's first input: kept as the row it is (see OpenFrame).
      f[slots + SLOT_USED] = 1;
      f[slots + SLOT_ROW_TS] = ts;
      f[slots + SLOT_ROW_UNCERTAIN] = uncertain ? 1 : 0;
      const last = 2 * n;
      for (let c = 0; c < n; c++) {
        const v = values[c];
        if (Number.isFinite(v)) {
          f[last + c] = v;
          f[last + n + c] = ts;
        } else {
          f[last + c] = NaN;
          if (v === Infinity || v === -Infinity) infinite++;
        }
      }
      return infinite;
    }
    if (f[slots + SLOT_ROW_TS] === f[slots + SLOT_ROW_TS]) this.expand(f, n);
    for (let c = 0; c < n; c++) {
      const v = values[c];
      if (!Number.isFinite(v)) {
        if (v === Infinity || v === -Infinity) infinite++;
        continue;
      }
      this.accumulate(f, n, c, v, ts, uncertain);
    }
    return infinite;
  }

  /** Emits every frame that ends at or before `watermark` (ms). */
  advance(watermark: number): void {
    const closeBelow = Math.floor(watermark / this.opts.frameMs);
    if (this.next === undefined) {
      const first = this.open.min();
      if (first === undefined) return;
      this.next = first;
    }
    while (this.next < closeBelow) {
      const k = this.next;
      const f = this.open.take(k);
      if (f) {
        if (this.lastF === f) this.lastF = undefined;
        this.emit(k, f);
        this.open.recycle(f);
        this.next++;
        continue;
      }
      const nextData = this.open.min() ?? Infinity;
      const run = Math.min(nextData, closeBelow) - k;
      if (run > this.opts.maxGapFrames) {
        this.onReset(run);
        this.next += run;
        continue;
      }
      this.emit(k, undefined);
      this.next++;
    }
  }

  /** Frames open (waiting for the watermark). */
  pending(): number {
    return this.open.size;
  }

  /** Frame k (opened if need be), or undefined when it was already emitted. */
  private liveFrame(k: number): OpenFrame | undefined {
    return this.next !== undefined && k < this.next ? undefined : this.frameAt(k);
  }

  private frameAt(k: number): OpenFrame {
    if (k === this.lastK && this.lastF) return this.lastF;
    const f = this.open.open(k);
    this.lastK = k;
    this.lastF = f;
    return f;
  }

  /** A fresh frame becomes an empty row of good values (every channel missing) that put() fills. */
  private startRow(f: OpenFrame, n: number, ts: number): void {
    const slots = FRAME_SLOTS * n;
    f[slots + SLOT_USED] = 1;
    f[slots + SLOT_ROW_TS] = ts;
    f[slots + SLOT_ROW_UNCERTAIN] = 0;
    f.fill(NaN, 2 * n, 3 * n);
  }

  /**
   * A frame held as a row gets an input the row cannot take (a second value for a channel, an
   * uncertain one, a Sample): the row becomes the accumulators of one value per channel.
   */
  private expand(f: OpenFrame, n: number): void {
    const slots = FRAME_SLOTS * n;
    const uncertain = f[slots + SLOT_ROW_UNCERTAIN];
    for (let c = 0; c < n; c++) {
      const v = f[2 * n + c];
      if (v !== v) continue;
      f[c] = 1;
      // 0 + v, as a sum started at zero would hold (-0 becomes 0); `last` and `lastTs` already hold v and its time
      f[n + c] = 0 + v;
      f[4 * n + c] = uncertain;
    }
    f[slots + SLOT_ROW_TS] = NaN;
  }

  private accumulate(f: OpenFrame, n: number, c: number, v: number, ts: number, uncertain: boolean): void {
    const count = f[c];
    if (count === 0) {
      f[c] = 1;
      // 0 + v, as a sum started at zero would hold (-0 becomes 0)
      f[n + c] = 0 + v;
      f[2 * n + c] = v;
      f[3 * n + c] = ts;
      f[4 * n + c] = uncertain ? 1 : 0;
      return;
    }
    f[c] = count + 1;
    f[n + c] += v;
    if (ts >= f[3 * n + c]) {
      f[2 * n + c] = v;
      f[3 * n + c] = ts;
    }
    if (uncertain) f[4 * n + c] = 1;
  }

  /** Writes frame k (accumulators f, or empty) into the sink's row and clears f's counts. */
  private emit(k: number, f: OpenFrame | undefined): void {
    const ts = k * this.opts.frameMs;
    const row: FrameRow = this.sink.row(ts);
    const { values, cells, at } = row;
    const n = this.opts.channels;
    let missing = 0;
    let uncertain = 0;
    if (!f) {
      missing = n;
      for (let c = 0; c < n; c++) {
        values[at + c] = NaN;
        cells[at + c] = CELL_MISSING;
      }
    } else if (f[FRAME_SLOTS * n + SLOT_ROW_TS] === f[FRAME_SLOTS * n + SLOT_ROW_TS]) {
      // A bare row: each value once, so its mean is 0 + v (as a sum from zero) and its last v.
      const mean = this.agg === 'mean';
      const cell = f[FRAME_SLOTS * n + SLOT_ROW_UNCERTAIN] !== 0 ? CELL_UNCERTAIN : CELL_GOOD;
      const last = 2 * n;
      for (let c = 0; c < n; c++) {
        const v = f[last + c];
        if (v !== v) {
          values[at + c] = NaN;
          cells[at + c] = CELL_MISSING;
          missing++;
        } else {
          values[at + c] = mean ? 0 + v : v;
          cells[at + c] = cell;
        }
      }
      if (cell === CELL_UNCERTAIN) uncertain = n - missing;
      f[FRAME_SLOTS * n + SLOT_ROW_TS] = NaN;
    } else {
      const mean = this.agg === 'mean';
      for (let c = 0; c < n; c++) {
        const count = f[c];
        if (count === 0) {
          values[at + c] = NaN;
          cells[at + c] = CELL_MISSING;
          missing++;
        } else {
          // count 1 (one value per frame, the usual case) skips a division that changes nothing
          values[at + c] = !mean ? f[2 * n + c] : count === 1 ? f[n + c] : f[n + c] / count;
          if (f[4 * n + c] !== 0) {
            cells[at + c] = CELL_UNCERTAIN;
            uncertain++;
          } else cells[at + c] = CELL_GOOD;
          f[c] = 0;
        }
      }
    }
    if (f) f[FRAME_SLOTS * n + SLOT_USED] = 0;
    this.sink.written(ts, row, missing, uncertain);
  }
}
