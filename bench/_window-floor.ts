import type { BenchCase } from './_inference-cases';
import { rng } from './_models';

/**
 * The least JavaScript a gateway must run to turn frames into a batch of model inputs, in one
 * thread: each asset's rows copied into a window ring, the path's five features per channel
 * (mean, std, min, max, rms) worked out over each window, and the window normalized into the
 * batch tensor in time order. No alignment, quality, gaps, health, results or inference: a
 * floor under any path's gateway thread, not a path. With inference on a second core, no path
 * runs faster than one window per max(floor, bare) (see ratioBound).
 * Returns the CPU microseconds per window over `rounds` rounds after `warmup`.
 */
export function windowFloorUs(c: BenchCase, assets: number, step: number, rounds: number, warmup: number): number {
  const W = c.frames;
  const C = c.channels.length;
  const P = W + 1;
  const r = rng(5);
  const rows = Array.from({ length: assets }, () => Array.from({ length: P }, () => Float64Array.from(c.channels, (_, j) => c.mean[j]! + 2 * c.std[j]! * r())));
  const rings = Array.from({ length: assets }, () => new Float64Array(W * C));
  const at = new Int32Array(assets);
  const since = new Int32Array(assets);
  const inv = Float64Array.from(c.std, (s) => 1 / s);
  const feats = new Float64Array(5 * C);
  const block = new Float32Array(assets * W * C);
  let slot = 0;
  let sink = 0;
  const window = (a: number): void => {
    const ring = rings[a]!;
    for (let j = 0; j < C; j++) {
      let s = 0;
      let sq = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = j; i < W * C; i += C) {
        const v = ring[i]!;
        s += v;
        sq += v * v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const mean = s / W;
      feats[5 * j] = mean;
      feats[5 * j + 1] = Math.sqrt(Math.max(0, sq / W - mean * mean));
      feats[5 * j + 2] = lo;
      feats[5 * j + 3] = hi;
      feats[5 * j + 4] = Math.sqrt(sq / W);
    }
    // oldest row first: the ring's next write position
    const o = slot * W * C;
    for (let t = 0, row = at[a]!; t < W; t++, row = row + 1 === W ? 0 : row + 1) {
      for (let j = 0; j < C; j++) block[o + t * C + j] = (ring[row * C + j]! - c.mean[j]!) * inv[j]!;
    }
    sink += feats[0]!;
    if (++slot === assets) slot = 0; // a full batch: here the tensor would go to session.run
  };
  const push = (a: number, row: Float64Array): void => {
    rings[a]!.set(row, at[a]! * C);
    at[a] = at[a]! + 1 === W ? 0 : at[a]! + 1;
    if (++since[a]! >= step) {
      since[a] = 0;
      window(a);
    }
  };
  let frame = 0;
  // the first W frames fill every ring; then each round brings `step` frames per asset, one window each
  for (let a = 0; a < assets; a++) for (let i = 0; i < W - step; i++) push(a, rows[a]![i % P]!);
  frame = W - step;
  let c0 = process.cpuUsage();
  for (let k = 0; k < warmup + rounds; k++) {
    if (k === warmup) c0 = process.cpuUsage();
    for (let a = 0; a < assets; a++) for (let i = 0; i < step; i++) push(a, rows[a]![(frame + i) % P]!);
    frame += step;
  }
  const d = process.cpuUsage(c0);
  if (!Number.isFinite(sink)) throw new Error('floor: non-finite features');
  return (d.user + d.system) / (rounds * assets);
}

/** The highest ratio any path can reach with inference on a second core: bare's time per window over the larger of it and the floor's. */
export function ratioBound(bareWindowsPerSec: number, floorUs: number): number {
  const bareUs = 1e6 / bareWindowsPerSec;
  return bareUs / Math.max(bareUs, floorUs);
}
