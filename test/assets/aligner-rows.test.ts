import { Aligner } from '../../src/assets/align';
import { CELL_GOOD, CELL_MISSING, CELL_UNCERTAIN, type FrameRow } from '../../src/assets/frame';
import { rng } from '../helpers/random';

/** Frames of 100 ms over 3 channels, each closed frame captured as [ts, values, cells]. */
function aligner(agg: 'last' | 'mean'): { a: Aligner; out: { ts: number; values: number[]; cells: number[] }[] } {
  const out: { ts: number; values: number[]; cells: number[] }[] = [];
  const row: FrameRow = { values: new Float64Array(3), cells: new Uint8Array(3), at: 0 };
  const a = new Aligner({ channels: 3, frameMs: 100, agg, maxGapFrames: 100 }, {
    row: () => row,
    written: (ts) => out.push({ ts, values: [...row.values], cells: [...row.cells] }),
  }, () => undefined);
  return { a, out };
}

/** put() as AssetPipeline.acceptRun uses it: the frame once, then good values. */
function put(a: Aligner, c: number, v: number, ts: number): void {
  const f = a.frameFor(ts);
  if (!f) throw new Error(`frame of ${ts} closed`);
  a.put(f, c, v, ts);
}

describe('Aligner frames held as rows', () => {
  it('one value per channel per frame: emitted as is, channels with none missing', () => {
    const { a, out } = aligner('mean');
    put(a, 0, 1.5, 110);
    put(a, 2, -3, 150);
    a.advance(200);
    expect(out).toEqual([{ ts: 100, values: [1.5, NaN, -3], cells: [CELL_GOOD, CELL_MISSING, CELL_GOOD] }]);
    // the recycled frame starts empty again
    put(a, 1, 7, 210);
    a.advance(300);
    expect(out[1]).toEqual({ ts: 200, values: [NaN, 7, NaN], cells: [CELL_MISSING, CELL_GOOD, CELL_MISSING] });
  });

  it('a second value for a channel turns the row into accumulators: mean of both, last by source time even when it arrives first', () => {
    for (const agg of ['mean', 'last'] as const) {
      const { a, out } = aligner(agg);
      put(a, 0, 10, 150);
      put(a, 1, 5, 120);
      put(a, 0, 20, 130); // older than the first value of channel 0, arrives after it
      put(a, 1, 6, 140);
      a.advance(200);
      expect(out[0]!.values).toEqual(agg === 'mean' ? [15, 5.5, NaN] : [10, 6, NaN]);
      expect(out[0]!.cells).toEqual([CELL_GOOD, CELL_GOOD, CELL_MISSING]);
    }
  });

  it('a good value into an uncertain row keeps its own quality, and the row keeps its values', () => {
    const { a, out } = aligner('last');
    expect(a.addFrame(100, [1, NaN, 3], true)).toBe(0);
    put(a, 1, 2, 160);
    a.advance(200);
    expect(out[0]).toEqual({ ts: 100, values: [1, 2, 3], cells: [CELL_UNCERTAIN, CELL_GOOD, CELL_UNCERTAIN] });
  });

  it('a row pushed whole, then a value for one of its channels stamped before the row: last keeps the row value, mean averages', () => {
    for (const agg of ['mean', 'last'] as const) {
      const { a, out } = aligner(agg);
      a.addFrame(150, [1, 2, 3]);
      put(a, 2, 9, 120);
      a.advance(200);
      expect(out[0]!.values).toEqual(agg === 'mean' ? [1, 2, 6] : [1, 2, 3]);
    }
  });
});

describe('Aligner counts per frame', () => {
  it('the missing and uncertain counts it reports are those of the row it wrote (rows, samples, uncertain both ways)', () => {
    const r = rng(17);
    const row: FrameRow = { values: new Float64Array(3), cells: new Uint8Array(3), at: 0 };
    let frames = 0;
    let uncertainSeen = 0;
    const a = new Aligner({ channels: 3, frameMs: 100, agg: 'mean', maxGapFrames: 100 }, {
      row: () => row,
      written: (_ts, _row, missing, uncertain) => {
        const cells = Array.from(row.cells);
        expect([missing, uncertain]).toEqual([cells.filter((c) => c === CELL_MISSING).length, cells.filter((c) => c === CELL_UNCERTAIN).length]);
        frames++;
        uncertainSeen += uncertain;
      },
    }, () => undefined);
    for (let k = 0; k < 3000; k++) {
      const t = k * 100 + 10;
      const x = r();
      const value = (): number => (r() < 0.2 ? NaN : r());
      if (x < 0.4) a.addFrame(t, [value(), value(), value()], r() < 0.3); // a row, maybe uncertain
      else if (x < 0.7) {
        for (let c = 0; c < 3; c++) if (r() < 0.8) a.add(c, r(), t + c, r() < 0.2);
      } else {
        a.addFrame(t, [value(), value(), value()], r() < 0.3);
        if (r() < 0.5) a.add(Math.floor(r() * 3), r(), t + 5, r() < 0.5); // a row, then a sample: accumulators
      }
      a.advance(t - 100);
    }
    expect(frames).toBeGreaterThan(2900);
    expect(uncertainSeen).toBeGreaterThan(500);
  });
});
