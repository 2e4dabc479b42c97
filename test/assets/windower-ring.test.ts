import { CELL_FILLED, CELL_GOOD, CELL_MISSING, CELL_UNCERTAIN, type Frame } from '../../src/assets/frame';
import { judgeCounts, judgeWindow } from '../../src/assets/gaps';
import { Windower, type CutWindow, type WindowerOptions } from '../../src/assets/windower';
import { rng } from '../helpers/random';

interface Seen {
  start: number;
  end: number;
  ts: number[];
  values: number[];
  cells: number[];
  present: number;
  uncertain: number;
  stream: number;
}

function snap(w: CutWindow): Seen {
  return { start: w.start, end: w.end, ts: Array.from(w.ts), values: Array.from(w.values), cells: Array.from(w.cells), present: w.present, uncertain: w.uncertain, stream: w.stream };
}

/** A window as one string (NaN, only in missing cells, prints as null): cheap to compare by the thousand. */
function key(s: Omit<Seen, 'stream'>): string {
  return JSON.stringify([s.start, s.end, s.present, s.uncertain, s.ts, s.cells, s.values]);
}

/**
 * The windows a frame stream should give, worked out the plain way: every frame kept by time, a
 * window cut when its last frame arrives or a frame beyond it does, its rows looked up by time.
 */
class Oracle {
  readonly out: Omit<Seen, 'stream'>[] = [];
  private rows = new Map<number, Frame>();
  private next: number | undefined;

  constructor(private readonly o: WindowerOptions) {}

  push(f: Frame): void {
    const { frameMs, sizeFrames, stepFrames } = this.o;
    this.next ??= this.o.type === 'time' ? Math.ceil(f.ts / (stepFrames * frameMs)) * stepFrames * frameMs : f.ts;
    if (f.ts < this.next) return;
    while (f.ts >= this.next + sizeFrames * frameMs) this.cut();
    this.rows.set(f.ts, f);
    while (f.ts + frameMs >= this.next + sizeFrames * frameMs) this.cut();
  }

  reset(): void {
    this.rows.clear();
    this.next = undefined;
  }

  private cut(): void {
    const { frameMs, sizeFrames, stepFrames, channels } = this.o;
    const start = this.next as number;
    const s: Omit<Seen, 'stream'> = { start, end: start + sizeFrames * frameMs, ts: [], values: [], cells: [], present: 0, uncertain: 0 };
    for (let i = 0; i < sizeFrames; i++) {
      const t = start + i * frameMs;
      const f = this.rows.get(t);
      s.ts.push(t);
      for (let c = 0; c < channels.length; c++) {
        const cell = f ? f.cells[c] : CELL_MISSING;
        s.values.push(f && cell !== CELL_MISSING ? f.values[c] : NaN);
        s.cells.push(cell);
        if (cell !== CELL_MISSING) s.present++;
        if (cell === CELL_UNCERTAIN) s.uncertain++;
      }
    }
    this.out.push(s);
    this.next = start + stepFrames * frameMs;
  }
}

const CELLS = [CELL_GOOD, CELL_GOOD, CELL_GOOD, CELL_GOOD, CELL_UNCERTAIN, CELL_FILLED, CELL_MISSING];

/**
 * A random stream through a windower and the oracle: frames with random cells, skipped frames,
 * resets; windows held for a random while (released in random order). Every window handed out
 * must equal the oracle's, and still hold the same rows when it is released.
 */
function run(opts: WindowerOptions, frames: number, seed: number, hold: number): { windows: CutWindow[]; seen: Seen[]; oracle: Oracle; buffers: Set<ArrayBufferLike> } {
  const r = rng(seed);
  const held: { w: CutWindow; s: Seen }[] = [];
  const windows: CutWindow[] = [];
  const seen: Seen[] = [];
  const buffers = new Set<ArrayBufferLike>();
  const w = new Windower(opts, (cw) => {
    const s = snap(cw);
    windows.push(cw);
    seen.push(s);
    buffers.add(cw.values.buffer);
    held.push({ w: cw, s });
  });
  const oracle = new Oracle(opts);
  const ch = opts.channels.length;
  let ts = opts.frameMs * 1000;
  for (let k = 0; k < frames; k++) {
    const x = r();
    if (x < 0.01) {
      w.reset();
      oracle.reset();
      ts += opts.frameMs * Math.floor(r() * 3 * opts.sizeFrames);
    } else if (x < 0.06) ts += opts.frameMs * Math.floor(1 + r() * 1.5 * opts.sizeFrames); // skipped frames
    const cells = Uint8Array.from({ length: ch }, () => CELLS[Math.floor(r() * CELLS.length)]);
    const values = Float64Array.from(cells, (c) => (c === CELL_MISSING ? NaN : Math.round(r() * 1e6) / 1e3));
    const f: Frame = { ts, values, cells };
    w.push(f);
    oracle.push(f);
    ts += opts.frameMs;
    // release held windows at random (sometimes several frames later, out of order)
    while (held.length > hold || (held.length > 0 && r() < 0.3)) {
      const h = held.splice(Math.floor(r() * held.length), 1)[0];
      expect(key(snap(h.w))).toBe(key(h.s));
      w.release(h.w);
    }
  }
  for (const h of held) expect(key(snap(h.w))).toBe(key(h.s));
  return { windows, seen, oracle, buffers };
}

const CH = ['a', 'b', 'c'];

describe('Windower rows in a ring (sliding windows are views; cell counts kept per row)', () => {
  const cases: [string, Partial<WindowerOptions>][] = [
    ['count, size 8 step 1', { sizeFrames: 8, stepFrames: 1 }],
    ['count, size 8 step 3', { sizeFrames: 8, stepFrames: 3 }],
    ['count, size 70 step 1 (too many windows per ring to keep their views)', { sizeFrames: 70, stepFrames: 1 }],
    ['count, size 5 step 5 (tumbling)', { sizeFrames: 5, stepFrames: 5 }],
    ['count, size 4 step 6 (hopping)', { sizeFrames: 4, stepFrames: 6 }],
    ['time, size 6 step 2', { type: 'time', sizeFrames: 6, stepFrames: 2 }],
    ['time, size 1 step 1', { type: 'time', sizeFrames: 1, stepFrames: 1 }],
  ];
  for (const [name, o] of cases) {
    for (const hold of [0, 3, 40]) {
      it(`${name}, up to ${hold} windows held: every window equals the plain cut, and stays so until released`, () => {
        const opts: WindowerOptions = { type: 'count', sizeFrames: 8, stepFrames: 1, frameMs: 100, channels: CH, ...o };
        const { seen, oracle, buffers } = run(opts, 1500, 11 + hold, hold);
        expect(seen.length).toBeGreaterThan(50);
        expect(seen.map(key)).toEqual(oracle.out.map(key));
        // released after each frame, a few rings serve (a frame beyond a gap cuts several windows
        // at once); held long, filling goes on in others
        if (hold === 0) expect(buffers.size).toBeLessThanOrEqual(3);
        if (hold === 40 && opts.stepFrames < opts.sizeFrames) expect(buffers.size).toBeGreaterThan(1);
        for (const s of seen) {
          // the counts give the verdict a scan of the cells gives
          const raw = { start: s.start, end: s.end, frames: s.ts.length, channels: CH, ts: Float64Array.from(s.ts), values: Float64Array.from(s.values), cells: Uint8Array.from(s.cells) };
          for (const policy of [{ policy: 'skip', minCoverage: 0.6, maxFillMs: 0 }, { policy: 'degraded', minCoverage: 0.9, maxFillMs: 0 }] as const) {
            expect(judgeCounts(s.present, s.uncertain, s.cells.length, policy)).toEqual(judgeWindow(raw, policy));
          }
        }
      });
    }
  }

  it('consecutive windows of one stream share the frames they both cover; a reset starts a new stream', () => {
    const opts: WindowerOptions = { type: 'count', sizeFrames: 8, stepFrames: 2, frameMs: 100, channels: CH };
    const { seen } = run(opts, 3000, 5, 2);
    let same = 0;
    let changed = 0;
    for (let k = 1; k < seen.length; k++) {
      const a = seen[k - 1];
      const b = seen[k];
      if (a.stream !== b.stream) {
        changed++;
        continue;
      }
      same++;
      const shift = (b.start - a.start) / 100;
      expect(shift).toBe(2);
      expect(b.values.slice(0, (8 - shift) * 3)).toEqual(a.values.slice(shift * 3));
    }
    expect(same).toBeGreaterThan(1000);
    expect(changed).toBeGreaterThan(5);
  });

  it('sliding windows released at once cycle within one ring: no array per window', () => {
    const opts: WindowerOptions = { type: 'count', sizeFrames: 50, stepFrames: 1, frameMs: 100, channels: CH };
    const buffers = new Set<ArrayBufferLike>();
    let n = 0;
    const w: Windower = new Windower(opts, (cw) => {
      buffers.add(cw.values.buffer);
      n++;
      w.release(cw);
    });
    for (let k = 0; k < 5000; k++) w.push({ ts: k * 100, values: Float64Array.of(k, -k, 2 * k), cells: new Uint8Array(3) });
    expect(n).toBe(5000 - 49);
    expect(buffers.size).toBe(1);
  });

  it('tumbling windows released at once keep using one set of arrays', () => {
    const opts: WindowerOptions = { type: 'count', sizeFrames: 10, stepFrames: 10, frameMs: 100, channels: CH };
    const objects = new Set<CutWindow>();
    const w: Windower = new Windower(opts, (cw) => {
      objects.add(cw);
      w.release(cw);
    });
    for (let k = 0; k < 1000; k++) w.push({ ts: k * 100, values: Float64Array.of(k, k, k), cells: new Uint8Array(3) });
    expect(objects.size).toBe(1);
  });

  it('a frame written again over a row a held window shares leaves that window as it was', () => {
    const opts: WindowerOptions = { type: 'count', sizeFrames: 3, stepFrames: 1, frameMs: 100, channels: ['a'] };
    const out: CutWindow[] = [];
    const w = new Windower(opts, (cw) => out.push(cw));
    const f = (ts: number, v: number): Frame => ({ ts, values: Float64Array.of(v), cells: Uint8Array.of(CELL_GOOD) });
    for (let k = 0; k < 3; k++) w.push(f(k * 100, k));
    w.push(f(200, 9)); // again, out of order: row 1 of the window in progress
    w.push(f(300, 3));
    expect(out.map((o) => Array.from(o.values))).toEqual([[0, 1, 2], [1, 9, 3]]);
    expect(out[1].stream).not.toBe(out[0].stream);
    expect(out.map((o) => o.present)).toEqual([3, 3]);
  });
});
