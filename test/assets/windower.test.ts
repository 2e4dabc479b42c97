import { CELL_GOOD, CELL_MISSING, type Frame, type RawWindow } from '../../src/assets/frame';
import { Windower, type WindowerOptions } from '../../src/assets/windower';

const CH = ['a', 'b'];

function frame(ts: number, a: number, b: number): Frame {
  return { ts, values: Float64Array.of(a, b), cells: Uint8Array.of(CELL_GOOD, CELL_GOOD) };
}

/** A windower whose windows are copied out (and released at once, as the pipeline does after emitting). */
function windower(opts: Partial<WindowerOptions> = {}): { w: Windower; out: { start: number; end: number; values: number[]; cells: number[] }[] } {
  const out: { start: number; end: number; values: number[]; cells: number[] }[] = [];
  const w: Windower = new Windower({ type: 'count', sizeFrames: 3, stepFrames: 3, frameMs: 1000, channels: CH, ...opts }, (rw: RawWindow) => {
    expect(Array.from(rw.ts)).toEqual(Array.from({ length: rw.frames }, (_, i) => rw.start + i * 1000));
    out.push({ start: rw.start, end: rw.end, values: Array.from(rw.values), cells: Array.from(rw.cells) });
    w.release(rw);
  });
  return { w, out };
}

describe('Windower (frames written in place, window arrays recycled)', () => {
  it('tumbling count windows hold their frames row by row', () => {
    const { w, out } = windower();
    for (let k = 0; k < 7; k++) w.push(frame(k * 1000, k, 10 * k));
    expect(out.map((o) => [o.start, o.end])).toEqual([[0, 3000], [3000, 6000]]);
    expect(out[0].values).toEqual([0, 0, 1, 10, 2, 20]);
    expect(out[1].values).toEqual([3, 30, 4, 40, 5, 50]);
    expect(w.buffered()).toBe(1);
  });

  it('sliding windows share the overlapping rows, also when the arrays are recycled', () => {
    const { w, out } = windower({ sizeFrames: 4, stepFrames: 2 });
    for (let k = 0; k < 10; k++) w.push(frame(k * 1000, k, -k));
    expect(out.map((o) => o.start)).toEqual([0, 2000, 4000, 6000]);
    for (const o of out) {
      const k0 = o.start / 1000;
      expect(o.values).toEqual([k0, -k0, k0 + 1, -k0 - 1, k0 + 2, -k0 - 2, k0 + 3, -k0 - 3]);
    }
  });

  it('a frame that skips rows leaves them missing (never zero or stale), also in recycled arrays', () => {
    const { w, out } = windower();
    for (let k = 0; k < 3; k++) w.push(frame(k * 1000, 7, 7)); // fills a window's arrays with 7s
    w.push(frame(3000, 1, 1));
    w.push(frame(5000, 2, 2)); // row 1 of the second window never arrives
    expect(out[1].values.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual([1, 1, 'NaN', 'NaN', 2, 2]);
    expect(out[1].cells).toEqual([CELL_GOOD, CELL_GOOD, CELL_MISSING, CELL_MISSING, CELL_GOOD, CELL_GOOD]);
  });

  it('a frame beyond the window in progress closes it (and any empty one between) before it is placed', () => {
    const { w, out } = windower();
    w.push(frame(0, 1, 1));
    w.push(frame(7000, 9, 9)); // windows [0, 3 s) and [3 s, 6 s) are cut without it
    w.push(frame(8000, 9, 9));
    expect(out.map((o) => o.start)).toEqual([0, 3000, 6000]);
    expect(out[1].cells.every((c) => c === CELL_MISSING)).toBe(true);
    expect(out[2].values.slice(2)).toEqual([9, 9, 9, 9]);
  });

  it('time windows start on the epoch grid: earlier frames are refused with -1', () => {
    const { w, out } = windower({ type: 'time', sizeFrames: 2, stepFrames: 2 });
    expect(w.place(1000)).toBe(-1);
    for (let k = 2; k < 6; k++) w.push(frame(k * 1000, k, k));
    expect(out.map((o) => o.start)).toEqual([2000, 4000]);
  });

  it('after reset() the next frame starts a fresh window', () => {
    const { w, out } = windower();
    w.push(frame(0, 1, 1));
    w.push(frame(1000, 1, 1));
    w.reset();
    for (let k = 100; k < 103; k++) w.push(frame(k * 1000, 5, 5));
    expect(out.map((o) => [o.start, o.values])).toEqual([[100_000, [5, 5, 5, 5, 5, 5]]]);
  });

  it('a window handed out is not written again until it is released', () => {
    const held: RawWindow[] = [];
    const w = new Windower({ type: 'count', sizeFrames: 1, stepFrames: 1, frameMs: 1000, channels: CH }, (rw) => held.push(rw));
    for (let k = 0; k < 3; k++) w.push(frame(k * 1000, k, k));
    expect(new Set(held).size).toBe(3);
    expect(held.map((h) => h.values[0])).toEqual([0, 1, 2]);
    w.release(held[0]);
    w.release(held[0]); // twice by mistake: still one window's worth of reuse
    w.push(frame(3000, 3, 3)); // the released arrays, reused
    w.push(frame(4000, 4, 4)); // none released: new arrays
    expect(held[3]).toBe(held[0]);
    expect(held[4]).not.toBe(held[0]);
    expect(held.map((h) => h.values[0])).toEqual([3, 1, 2, 3, 4]);
  });
});
