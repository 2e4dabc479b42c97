/** State of one (frame, channel) cell of the aligned grid. */
export const CELL_GOOD = 0;
/** A value whose quality was `uncertain`: used, but the window is degraded. */
export const CELL_UNCERTAIN = 1;
/** No value in this frame; carried forward from the last good one (within maxFillMs). */
export const CELL_FILLED = 2;
/** No usable value (none arrived, or only bad / non-finite ones). Value is NaN. */
export const CELL_MISSING = 3;
export type CellState = typeof CELL_GOOD | typeof CELL_UNCERTAIN | typeof CELL_FILLED | typeof CELL_MISSING;

/** One step of the alignment grid: a value per channel (NaN when missing), channels in config order. */
export interface Frame {
  /** Start of the frame (ms since the epoch, a multiple of frameMs). */
  readonly ts: number;
  readonly values: Float64Array;
  readonly cells: Uint8Array;
}

/**
 * Where one frame is written in place: channels [0, n) go to values[at + c] / cells[at + c]. The
 * aligner writes closed frames straight into the window buffer this way, so a frame is not
 * built and copied once per stage.
 */
export interface FrameRow {
  values: Float64Array;
  cells: Uint8Array;
  at: number;
}

/** Receives closed frames, in order, one row at a time. */
export interface FrameSink {
  /** The row to write the frame starting at `ts` into. */
  row(ts: number): FrameRow;
  /** The row returned by row(ts) now holds the frame, `missing` cells of it missing, `uncertain` uncertain. */
  written(ts: number, row: FrameRow, missing: number, uncertain: number): void;
}

/** A window of consecutive frames, row-major [frame][channel]. */
export interface RawWindow {
  readonly start: number;
  /** Exclusive end: start + frames * frameMs. */
  readonly end: number;
  readonly frames: number;
  readonly channels: readonly string[];
  readonly ts: Float64Array;
  readonly values: Float64Array;
  readonly cells: Uint8Array;
  /**
   * Windows with the same stream id hold the same values for the frames they both cover (a
   * windower's run of frames; a reset starts a new one). Undefined: not known.
   */
  readonly stream?: number;
}
