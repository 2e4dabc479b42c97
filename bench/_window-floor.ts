import type { RawWindow } from '../src/assets/frame';
import { SlidingStats } from '../src/features/sliding-stats';
import { timeStatsInto, type TimeStats } from '../src/features/stats';
import { NormalizedRows } from '../src/models/normalized-rows';
import type { BenchCase } from './_inference-cases';
import { rng } from './_models';

/**
 * The bench's input: per asset a ring of W + 1 rows of values around each channel's training mean
 * (within two std), made before any clock starts; ours and the floor read the same rows.
 */
export function benchRows(c: BenchCase, assets: number): Float64Array[][] {
  const r = rng(5);
  return Array.from({ length: assets }, () => Array.from({ length: c.frames + 1 }, () => Float64Array.from(c.channels, (_, j) => c.mean[j]! + 2 * c.std[j]! * r())));
}

/**
 * The least a gateway must run to turn frames into a batch of model inputs, in one thread, with
 * the path's own kernels: each asset's rows appended to a contiguous window buffer, the path's
 * five features of every channel (SlidingStats when windows overlap, else timeStatsInto), and the
 * window normalized into the batch tensor (NormalizedRows when windows overlap: only new rows).
 * No alignment, quality, gaps, feature records, health, results, events or inference: a floor
 * under any path built from these kernels, not a path. With inference on a second core, no such
 * path runs faster than one window per max(floor, bare) (see ratioBound).
 * Returns the CPU microseconds per window over `rounds` rounds after `warmup`.
 */
export function windowFloorUs(c: BenchCase, assets: number, step: number, rounds: number, warmup: number): number {
  const W = c.frames;
  const C = c.channels.length;
  const rows = benchRows(c, assets);
  const sliding = step < W;
  const channelIndex = c.channels.map((_, j) => j);
  const offset = Float64Array.from(c.mean);
  const scale = Float64Array.from(c.std, (s) => 1 / s);
  const block = new Float32Array(assets * W * C);
  const st: TimeStats = { mean: NaN, std: NaN, rms: NaN, min: NaN, max: NaN, p2p: NaN, crest: NaN, kurtosis: NaN, skewness: NaN };
  const feats = new Float64Array(5 * C);
  // Per asset: a buffer of 4 windows' rows (the window is a view on its last W rows; moved to the
  // front when full, as the windower does), the sliding sums and the normalized rows.
  const cap = 4 * W;
  const asset = rows.map(() => ({
    buf: new Float64Array(cap * C), n: 0, frames: 0,
    stats: new SlidingStats(C, W), loaded: false, norm: new NormalizedRows(W, C),
    win: { start: 0, end: 0, frames: W, channels: c.channels, ts: new Float64Array(0), values: new Float64Array(0), cells: new Uint8Array(0), stream: 1 } as { -readonly [K in keyof RawWindow]: RawWindow[K] },
  }));
  let slot = 0;
  const window = (a: (typeof asset)[number]): void => {
    const w = a.win;
    w.values = a.buf.subarray((a.n - W) * C, a.n * C);
    w.start = (a.frames - W) * 1000;
    w.end = a.frames * 1000;
    if (sliding && !(a.loaded && a.stats.slide(w.values, step))) {
      a.stats.load(w.values);
      a.loaded = true;
    }
    for (let j = 0; j < C; j++) {
      if (sliding) a.stats.statsInto(j, st);
      else timeStatsInto(w.values, W, st, false, j, C);
      feats[5 * j] = st.mean;
      feats[5 * j + 1] = st.std;
      feats[5 * j + 2] = st.min;
      feats[5 * j + 3] = st.max;
      feats[5 * j + 4] = st.rms;
    }
    const at = slot * W * C;
    if (sliding) a.norm.write(w, channelIndex, offset, scale, block, at);
    else for (let i = 0, j = 0; i < W * C; i++, j = j + 1 === C ? 0 : j + 1) block[at + i] = ((w.values[i] as number) - offset[j]!) * scale[j]!;
    if (++slot === assets) slot = 0; // a full batch: here the tensor would go to session.run
  };
  const push = (k: number, row: Float64Array): void => {
    const a = asset[k]!;
    if (a.n === cap) {
      a.buf.copyWithin(0, (cap - W + 1) * C);
      a.n = W - 1;
    }
    a.buf.set(row, a.n * C);
    a.n++;
    a.frames++;
    if (a.frames >= W && (a.frames - W) % step === 0) window(a);
  };
  // the first W - step frames of every asset, then `step` frames per asset and round: one window each
  let frame = 0;
  for (; frame < W - step; frame++) for (let k = 0; k < assets; k++) push(k, rows[k]![frame % (W + 1)]!);
  let c0 = process.cpuUsage();
  for (let r = 0; r < warmup + rounds; r++) {
    if (r === warmup) c0 = process.cpuUsage();
    for (let k = 0; k < assets; k++) for (let i = 0; i < step; i++) push(k, rows[k]![(frame + i) % (W + 1)]!);
    frame += step;
  }
  const d = process.cpuUsage(c0);
  if (!Number.isFinite(feats[0]!) || !Number.isFinite(block[0]!)) throw new Error('floor: non-finite features or inputs');
  return (d.user + d.system) / (rounds * assets);
}

/** The highest ratio any path can reach with inference on a second core: bare's time per window over the larger of it and the floor's. */
export function ratioBound(bareWindowsPerSec: number, floorUs: number): number {
  const bareUs = 1e6 / bareWindowsPerSec;
  return bareUs / Math.max(bareUs, floorUs);
}
