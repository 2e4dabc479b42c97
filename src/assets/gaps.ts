import type { GapPolicy } from './config';
import { CELL_FILLED, CELL_MISSING, CELL_UNCERTAIN, type FrameRow, type RawWindow } from './frame';

/**
 * Forward-fill: a missing cell takes the channel's last good value when that value is at most
 * maxFillMs old (so a slow tag aligns with fast ones). The `skip` policy never fills.
 * Returns the number of cells filled.
 */
export class GapFiller {
  private readonly lastValue: Float64Array;
  private readonly lastTs: Float64Array;
  /**
   * Time of the last frame with every channel present: a channel's last good value is at least
   * that recent, so such a frame updates this one number instead of a time per channel (frames
   * come in time order).
   */
  private fullTs = -Infinity;

  constructor(channels: number, private readonly policy: GapPolicy) {
    this.lastValue = new Float64Array(channels).fill(NaN);
    this.lastTs = new Float64Array(channels).fill(-Infinity);
  }

  /**
   * Fills the missing cells of the frame at `ts` held in `row`; `missing` is the number of them
   * when the writer knows it (-1: unknown).
   */
  apply(ts: number, row: FrameRow, missing = -1): number {
    const { values, cells, at } = row;
    const n = this.lastValue.length;
    if (missing === 0) {
      for (let c = 0; c < n; c++) this.lastValue[c] = values[at + c];
      this.fullTs = ts;
      return 0;
    }
    const fill = this.policy.policy !== 'skip';
    let filled = 0;
    for (let c = 0; c < n; c++) {
      if (cells[at + c] !== CELL_MISSING) {
        this.lastValue[c] = values[at + c];
        this.lastTs[c] = ts;
      } else if (fill && ts - Math.max(this.lastTs[c], this.fullTs) <= this.policy.maxFillMs) {
        values[at + c] = this.lastValue[c];
        cells[at + c] = CELL_FILLED;
        filled++;
      }
    }
    return filled;
  }
}

export type WindowVerdict =
  | { readonly emit: true; readonly quality: 'good' | 'degraded'; readonly coverage: number }
  | { readonly emit: false; readonly reason: 'empty' | 'coverage'; readonly coverage: number };

/**
 * Decides a window's fate. coverage = share of cells holding a value (good, uncertain or filled).
 * Quality is `good` only with full coverage and no uncertain value. A window with no value at all
 * is never emitted; one under minCoverage is dropped unless the policy is `degraded`.
 */
export function judgeWindow(w: RawWindow, policy: GapPolicy): WindowVerdict {
  let present = 0;
  let uncertain = 0;
  for (let i = 0; i < w.cells.length; i++) {
    const s = w.cells[i];
    if (s !== CELL_MISSING) present++;
    if (s === CELL_UNCERTAIN) uncertain++;
  }
  return judgeCounts(present, uncertain, w.cells.length, policy);
}

/**
 * judgeWindow from the window's counts of cells holding a value and of uncertain ones, out of
 * `cells` (a windower counts them row by row as frames are committed, so no cell is scanned here).
 */
export function judgeCounts(present: number, uncertain: number, cells: number, policy: GapPolicy): WindowVerdict {
  const coverage = cells === 0 ? 0 : present / cells;
  if (present === 0) return { emit: false, reason: 'empty', coverage };
  if (coverage < policy.minCoverage && policy.policy !== 'degraded') return { emit: false, reason: 'coverage', coverage };
  return { emit: true, quality: coverage === 1 && uncertain === 0 ? 'good' : 'degraded', coverage };
}
