import type { FrameRow, FrameSink } from './frame';
import type { GapFiller } from './gaps';
import type { AssetStats } from './stats';
import type { Windower } from './windower';

/**
 * Where the aligner writes an asset's closed frames: straight into the window buffer (a frame is
 * not built and copied once per stage), gaps forward-filled in place, then committed to the
 * windower. A frame no window needs (before the first time window) goes to a scratch row, so
 * forward-fill still sees its values.
 */
export function windowSink(windower: Windower, filler: GapFiller, st: AssetStats, channels: number): FrameSink {
  const scratch: FrameRow = { values: new Float64Array(channels), cells: new Uint8Array(channels), at: 0 };
  const inWindow: FrameRow = { values: windower.values, cells: windower.cells, at: 0 };
  return {
    row: (ts) => {
      const at = windower.place(ts);
      if (at < 0) return scratch;
      inWindow.values = windower.values;
      inWindow.cells = windower.cells;
      inWindow.at = at;
      return inWindow;
    },
    written: (ts, row, missing, uncertain) => {
      st.frames++;
      let filled = 0;
      if (missing === 0) filler.apply(ts, row, 0);
      else st.filledCells += filled = filler.apply(ts, row, missing);
      if (row !== scratch) windower.commit(ts, channels - missing + filled, uncertain);
    },
  };
}
