import { NormalizedRows } from '../../src/models/normalized-rows';

/** A stream of frames: row t holds ch values that depend on t and the channel. */
function stream(frames: number, ch: number): Float64Array {
  const v = new Float64Array(frames * ch);
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(i * 0.37) * 100 + (i % ch) * 1000;
  return v;
}

/** Window [from, from + n) of the stream as the windower hands it out (values and frame times). */
function windowAt(s: Float64Array, ch: number, from: number, n: number, t0 = 0): { values: Float64Array; ts: Float64Array } {
  return { values: s.slice(from * ch, (from + n) * ch), ts: Float64Array.from({ length: n }, (_, i) => t0 + (from + i) * 1000) };
}

function direct(values: Float64Array, ch: number, idx: readonly number[], offset: Float64Array, scale: Float64Array, n: number): Float32Array {
  const out = new Float32Array(n * idx.length);
  for (let r = 0; r < n; r++) for (let j = 0; j < idx.length; j++) out[r * idx.length + j] = (values[r * ch + idx[j]] - offset[j]) * scale[j];
  return out;
}

describe('NormalizedRows (sliding windows normalize only their new rows)', () => {
  const ch = 3;
  const idx = [2, 0];
  const offset = Float64Array.from([2000, 0]);
  const scale = Float64Array.from([0.01, 0.5]);

  it.each([1, 3, 7])('gives exactly the directly normalized window for every window of a long stream, step %i', (step) => {
    const n = 10;
    const s = stream(400, ch);
    const rows = new NormalizedRows(n, idx.length);
    const out = new Float32Array(3 * n * idx.length);
    let windows = 0;
    for (let from = 0; from + n <= 400; from += step) {
      const w = windowAt(s, ch, from, n);
      const at = (windows % 3) * n * idx.length;
      rows.write(w.values, w.ts, ch, idx, offset, scale, out, at);
      expect(Array.from(out.subarray(at, at + n * idx.length))).toEqual(Array.from(direct(w.values, ch, idx, offset, scale, n)));
      windows++;
    }
    expect(windows).toBe(Math.floor((400 - n) / step) + 1);
    // Only the first window is normalized whole; every later one normalizes its `step` new rows.
    expect(rows.normalized).toBe(n + (windows - 1) * step);
  });

  it('starts over after a jump in time, a repeated window and a new normalization', () => {
    const n = 5;
    const s = stream(100, ch);
    const rows = new NormalizedRows(n, idx.length);
    const out = new Float32Array(n * idx.length);
    const check = (w: { values: Float64Array; ts: Float64Array }, off: Float64Array, sc: Float64Array): void => {
      rows.write(w.values, w.ts, ch, idx, off, sc, out, 0);
      expect(Array.from(out)).toEqual(Array.from(direct(w.values, ch, idx, off, sc, n)));
    };
    check(windowAt(s, ch, 0, n), offset, scale);
    check(windowAt(s, ch, 1, n), offset, scale);
    // Same frame times, other values: after a reset the windower may hand out rows it never did before.
    check(windowAt(s, ch, 40, n, -39_000), offset, scale);
    check(windowAt(s, ch, 60, n), offset, scale);
    check(windowAt(s, ch, 60, n), offset, scale);
    check(windowAt(s, ch, 61, n), Float64Array.from([1, 2]), scale);
    check(windowAt(s, ch, 62, n), Float64Array.from([1, 2]), Float64Array.from([3, 4]));
  });
});
