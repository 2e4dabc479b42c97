/**
 * Accumulators of one open frame, five blocks of `channels` values in one array (one typed array
 * is cheaper to reach than five): [count | sum | last | lastTs | uncertain], then three frame-wide
 * slots [rowTs | used | rowUncertain]. A channel's other blocks are only meaningful while its
 * count is non-zero, so clearing a frame is clearing counts (and the three slots).
 *
 * A frame whose inputs give each channel at most one good value (pushFrame: one row per frame
 * from a replay or simulator; a poll or publish per frame from a source) is kept as a row: the
 * values in the `last` block (NaN = no value), their times in `lastTs`, counts left at zero, rowTs
 * set (not NaN) while the frame is a row. Two stores per value instead of five; the aligner turns
 * it into accumulators when an input the row cannot hold comes (see Aligner.expand()).
 */
export type OpenFrame = Float64Array;
export const ACC_COUNT = 0;
export const ACC_SUM = 1;
export const ACC_LAST = 2;
export const ACC_LAST_TS = 3;
export const ACC_UNCERTAIN = 4;
/** Offset (in blocks of `channels`) of the frame-wide slots. */
export const FRAME_SLOTS = 5;
/** rowTs (frame-wide slot 0): NaN unless the frame is held as a row (then the time of its first input). */
export const SLOT_ROW_TS = 0;
/** used (slot 1): 0 while the frame has had no input. */
export const SLOT_USED = 1;
/** rowUncertain (slot 2): the bare row's values are of uncertain quality. */
export const SLOT_ROW_UNCERTAIN = 2;

/** Ring size (a power of two): frames open at once are the lateness plus a little, mostly 1-3. */
const RING = 64;
const MASK = RING - 1;

/**
 * The open frames of an aligner by frame index k. Frame k lives in ring slot k mod RING unless
 * another open frame holds that slot (a value stamped far in the future), then in a map. A Map per
 * frame cost ~70 ns of set/get/delete per frame, the ring a few array reads. Accumulators come
 * from a LIFO pool, so the one or two in use stay in the CPU cache and nothing is allocated in the
 * steady state.
 */
export class OpenFrames {
  private readonly keys = new Float64Array(RING).fill(NaN);
  private readonly ring: (OpenFrame | undefined)[] = new Array<OpenFrame | undefined>(RING).fill(undefined);
  private readonly overflow = new Map<number, OpenFrame>();
  private readonly free: OpenFrame[] = [];
  private count = 0;

  constructor(private readonly channels: number) {}

  get size(): number {
    return this.count;
  }

  get(k: number): OpenFrame | undefined {
    const s = k & MASK;
    if (this.keys[s] === k) return this.ring[s];
    return this.overflow.size > 0 ? this.overflow.get(k) : undefined;
  }

  /** The open frame k, opened (empty) when it was not. */
  open(k: number): OpenFrame {
    const s = k & MASK;
    if (this.keys[s] === k) return this.ring[s] as OpenFrame;
    if (this.overflow.size > 0) {
      const f = this.overflow.get(k);
      if (f) return f;
    }
    this.count++;
    const f = this.free.pop() ?? this.fresh();
    if (Number.isNaN(this.keys[s])) {
      this.keys[s] = k;
      this.ring[s] = f;
    } else {
      this.overflow.set(k, f);
    }
    return f;
  }

  /**
   * Removes frame k and returns its accumulators, or undefined when it is not open. The caller
   * reads them, clears the counts, then hands them to recycle() before the next open().
   */
  take(k: number): OpenFrame | undefined {
    const s = k & MASK;
    let f: OpenFrame | undefined;
    if (this.keys[s] === k) {
      this.keys[s] = NaN;
      f = this.ring[s];
      this.ring[s] = undefined;
    } else if (this.overflow.size > 0) {
      f = this.overflow.get(k);
      if (f) this.overflow.delete(k);
    }
    if (f) this.count--;
    return f;
  }

  /** Takes back accumulators whose counts the caller has cleared. */
  recycle(f: OpenFrame): void {
    if (this.free.length < RING) this.free.push(f);
  }

  /** The smallest open frame index, or undefined. */
  min(): number | undefined {
    if (this.count === 0) return undefined;
    let m = Infinity;
    for (let s = 0; s < RING; s++) if (this.keys[s] < m) m = this.keys[s];
    for (const k of this.overflow.keys()) if (k < m) m = k;
    return m;
  }

  private fresh(): OpenFrame {
    const f = new Float64Array(FRAME_SLOTS * this.channels + 3);
    f[FRAME_SLOTS * this.channels + SLOT_ROW_TS] = NaN;
    return f;
  }
}
