import type { RawWindow } from '../../src/assets/frame';
import { NormalizedRows } from '../../src/models/normalized-rows';

/** A stream of frames: row t holds ch values that depend on t and the channel. */
function stream(frames: number, ch: number, salt = 0): Float64Array {
  const v = new Float64Array(frames * ch);
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(i * 0.37 + salt) * 100 + (i % ch) * 1000;
  return v;
}

const CHANNELS = ['a', 'b', 'c'];

/** Window [from, from + n) of the stream as a windower hands it out (1 s frames). */
function windowAt(s: Float64Array, from: number, n: number, id: number): RawWindow {
  const ch = CHANNELS.length;
  return {
    start: from * 1000, end: (from + n) * 1000, frames: n, channels: CHANNELS, stream: id,
    ts: Float64Array.from({ length: n }, (_, i) => (from + i) * 1000),
    values: s.slice(from * ch, (from + n) * ch), cells: new Uint8Array(n * ch),
  };
}

function direct(w: RawWindow, idx: readonly number[], offset: Float64Array, scale: Float64Array): number[] {
  const ch = w.channels.length;
  const out = new Float32Array(w.frames * idx.length);
  for (let r = 0; r < w.frames; r++) for (let j = 0; j < idx.length; j++) out[r * idx.length + j] = (w.values[r * ch + idx[j]] - offset[j]) * scale[j];
  return Array.from(out);
}

describe('NormalizedRows (sliding windows normalize only their new rows)', () => {
  const idx = [2, 0];
  const offset = Float64Array.from([2000, 0]);
  const scale = Float64Array.from([0.01, 0.5]);

  it.each([1, 3, 7])('gives exactly the directly normalized window for every window of a long stream, step %i', (step) => {
    const n = 10;
    const s = stream(400, CHANNELS.length);
    const rows = new NormalizedRows(n, idx.length);
    const out = new Float32Array(3 * n * idx.length);
    let windows = 0;
    for (let from = 0; from + n <= 400; from += step) {
      const w = windowAt(s, from, n, 1);
      const at = (windows % 3) * n * idx.length;
      rows.write(w, idx, offset, scale, out, at);
      expect(Array.from(out.subarray(at, at + n * idx.length))).toEqual(direct(w, idx, offset, scale));
      windows++;
    }
    expect(windows).toBe(Math.floor((400 - n) / step) + 1);
    // Only the first window is normalized whole; every later one normalizes its `step` new rows.
    expect(rows.normalized).toBe(n + (windows - 1) * step);
  });

  it('starts over on another stream, a jump of a window, the same window again and a new normalization', () => {
    const n = 5;
    const s = stream(100, CHANNELS.length);
    const other = stream(100, CHANNELS.length, 1);
    const rows = new NormalizedRows(n, idx.length);
    const out = new Float32Array(n * idx.length);
    const check = (w: RawWindow, off: Float64Array, sc: Float64Array, normalizedRows: number): void => {
      const before = rows.normalized;
      rows.write(w, idx, off, sc, out, 0);
      expect(Array.from(out)).toEqual(direct(w, idx, off, sc));
      expect(rows.normalized - before).toBe(normalizedRows);
    };
    check(windowAt(s, 0, n, 1), offset, scale, n);
    check(windowAt(s, 1, n, 1), offset, scale, 1);
    // Same frame times, other values: a reset gives the windower's windows a new stream.
    check(windowAt(other, 2, n, 2), offset, scale, n);
    check(windowAt(other, 9, n, 2), offset, scale, n);
    check(windowAt(other, 9, n, 2), offset, scale, n);
    check(windowAt(other, 10, n, 2), Float64Array.from([1, 2]), scale, n);
    check(windowAt(other, 11, n, 2), Float64Array.from([1, 2]), Float64Array.from([3, 4]), n);
    const { stream: _unknown, ...noStream } = windowAt(other, 12, n, 2);
    check(noStream, offset, scale, n);
  });
});
