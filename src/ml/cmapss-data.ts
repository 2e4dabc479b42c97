import { readFileSync } from 'node:fs';
import { SkipError } from '../core/errors';
import type { Rng } from './rng';

/**
 * NASA C-MAPSS turbofan files (train_FD001.txt, test_FD001.txt, RUL_FD001.txt): whitespace
 * separated, no header, 26 columns: unit, cycle, 3 operating settings, sensors s1..s21.
 */
export const CMAPSS_SENSORS = ['s2', 's3', 's4', 's7', 's8', 's9', 's11', 's12', 's13', 's14', 's15', 's17', 's20', 's21'] as const;
/** Column of sensor s<k> in the file: unit, cycle, setting1..3 come first. */
const SENSOR_COLUMNS = CMAPSS_SENSORS.map((s) => 4 + Number(s.slice(1)));
const COLUMNS = 26;

export interface Engine {
  unit: number;
  /** Cycles observed (rows). */
  cycles: number;
  /** [cycles x 14] sensor values in CMAPSS_SENSORS order. */
  sensors: Float32Array;
}

/** Parses a C-MAPSS trajectory file; a malformed line fails with the file and line at fault. */
export function parseCmapss(text: string, file: string): Engine[] {
  const rows = new Map<number, number[][]>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const t = line.trim();
    if (!t) return;
    const cols = t.split(/\s+/).map(Number);
    if (cols.length !== COLUMNS || cols.some((v) => !Number.isFinite(v))) {
      throw new SkipError(`${file}:${i + 1}`, `expected ${COLUMNS} numeric columns (unit, cycle, 3 settings, 21 sensors), got ${JSON.stringify(t.slice(0, 80))}`);
    }
    const unit = cols[0]!;
    const list = rows.get(unit) ?? [];
    if (cols[1] !== list.length + 1) throw new SkipError(`${file}:${i + 1}`, `unit ${unit}: expected cycle ${list.length + 1}, got ${cols[1]}`);
    list.push(cols);
    rows.set(unit, list);
  });
  if (rows.size === 0) throw new SkipError(file, 'no data rows');
  return [...rows.entries()].map(([unit, list]) => {
    const sensors = new Float32Array(list.length * SENSOR_COLUMNS.length);
    list.forEach((r, t) => SENSOR_COLUMNS.forEach((c, j) => (sensors[t * SENSOR_COLUMNS.length + j] = r[c]!)));
    return { unit, cycles: list.length, sensors };
  });
}

export function readCmapss(file: string): Engine[] {
  return parseCmapss(readFileSync(file, 'utf8'), file);
}

/** RUL_FD001.txt: one true RUL per test engine, in unit order. */
export function readRulTruth(file: string): number[] {
  const values = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return values.map((v, i) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new SkipError(`${file}:${i + 1}`, `expected a non-negative RUL, got ${JSON.stringify(v)}`);
    return n;
  });
}

/** Per-sensor mean and standard deviation over every cycle of the given engines. */
export function sensorStats(engines: readonly Engine[]): { mean: number[]; std: number[] } {
  const C = CMAPSS_SENSORS.length;
  const sum = new Float64Array(C);
  const sq = new Float64Array(C);
  let n = 0;
  for (const e of engines) {
    for (let i = 0; i < e.sensors.length; i++) {
      const v = e.sensors[i]!;
      sum[i % C]! += v;
      sq[i % C]! += v * v;
    }
    n += e.cycles;
  }
  const mean = Array.from(sum, (s) => s / n);
  // Constant channels get std 1 so that normalization never divides by zero.
  const std = Array.from(sq, (s, c) => Math.sqrt(Math.max(0, s / n - mean[c]! ** 2)) || 1);
  return { mean, std };
}

/**
 * Per-sensor min-max scaling to [-1, 1] written as an offset and a scale, (x - mid) / half-range,
 * so that the manifest's `zscore` normalization (x - mean) / std applies it unchanged.
 */
export function sensorRange(engines: readonly Engine[]): { mean: number[]; std: number[] } {
  const C = CMAPSS_SENSORS.length;
  const lo = new Float64Array(C).fill(Infinity);
  const hi = new Float64Array(C).fill(-Infinity);
  for (const e of engines) {
    for (let i = 0; i < e.sensors.length; i++) {
      const v = e.sensors[i]!;
      if (v < lo[i % C]!) lo[i % C] = v;
      if (v > hi[i % C]!) hi[i % C] = v;
    }
  }
  const mean = Array.from(lo, (l, c) => (l + hi[c]!) / 2);
  // A constant channel gets scale 1, as in sensorStats.
  const std = Array.from(lo, (l, c) => (hi[c]! - l) / 2 || 1);
  return { mean, std };
}

/** Piecewise-linear RUL target: constant `cap` early in life, then falling linearly to 0. */
export function rulTarget(totalCycles: number, cycle: number, cap: number): number {
  return Math.min(cap, totalCycles - cycle);
}

/**
 * The window of `window` cycles ending at cycle `end` (1-based, inclusive), z-scored, written
 * into `out` at `offset`. Cycles before the first are the first row repeated (short engines).
 */
export function writeWindow(e: Engine, end: number, window: number, norm: { mean: readonly number[]; std: readonly number[] }, out: Float32Array, offset: number): void {
  const C = CMAPSS_SENSORS.length;
  for (let k = 0; k < window; k++) {
    const cycle = Math.max(1, end - window + 1 + k);
    const src = (cycle - 1) * C;
    for (let c = 0; c < C; c++) out[offset + k * C + c] = (e.sensors[src + c]! - norm.mean[c]!) / norm.std[c]!;
  }
}

/**
 * Every window of every engine ending at cycle >= `firstEnd` (default: full windows only),
 * labelled with the capped RUL. Windows ending before cycle `window` are front-padded with the
 * first row, exactly as short test trajectories are, so that the network has seen them.
 */
export function trainingWindows(engines: readonly Engine[], window: number, cap: number, norm: { mean: readonly number[]; std: readonly number[] }, firstEnd = window): { x: Float32Array; y: Float32Array; n: number } {
  const C = CMAPSS_SENSORS.length;
  const n = engines.reduce((a, e) => a + Math.max(0, e.cycles - firstEnd + 1), 0);
  const x = new Float32Array(n * window * C);
  const y = new Float32Array(n);
  let k = 0;
  for (const e of engines) {
    for (let end = firstEnd; end <= e.cycles; end++, k++) {
      writeWindow(e, end, window, norm, x, k * window * C);
      y[k] = rulTarget(e.cycles, end, cap);
    }
  }
  return { x, y, n };
}

/**
 * The engine's run replayed `factor` times slower (> 1) or faster (< 1): its trajectory resampled
 * to round(cycles x factor) cycles by linear interpolation between neighbouring cycles, the first
 * and last kept. Training augmentation: FD001's engines wear at different rates, and a stretched
 * engine is one more plausible rate for the network to see (its failure still ends the run).
 */
export function stretchEngine(e: Engine, factor: number): Engine {
  const C = CMAPSS_SENSORS.length;
  const cycles = Math.max(2, Math.round(e.cycles * factor));
  const sensors = new Float32Array(cycles * C);
  for (let i = 0; i < cycles; i++) {
    const at = (i * (e.cycles - 1)) / (cycles - 1);
    const a = Math.floor(at);
    const b = Math.min(e.cycles - 1, a + 1);
    const w = at - a;
    for (let c = 0; c < C; c++) sensors[i * C + c] = e.sensors[a * C + c]! * (1 - w) + e.sensors[b * C + c]! * w;
  }
  return { unit: e.unit, cycles, sensors };
}

/** The last window of each engine (the official test protocol: one prediction per engine). */
export function lastWindows(engines: readonly Engine[], window: number, norm: { mean: readonly number[]; std: readonly number[] }): Float32Array {
  const C = CMAPSS_SENSORS.length;
  const x = new Float32Array(engines.length * window * C);
  engines.forEach((e, i) => writeWindow(e, e.cycles, window, norm, x, i * window * C));
  return x;
}

/** A run-to-failure engine cut after `keep` cycles; its true RUL is what was cut off. */
export function truncate(e: Engine, keep: number): { engine: Engine; rul: number } {
  const C = CMAPSS_SENSORS.length;
  return { engine: { unit: e.unit, cycles: keep, sensors: e.sensors.slice(0, keep * C) }, rul: e.cycles - keep };
}

/**
 * The engine's last `n` cycles only (all of it when shorter): what a gateway holds of an engine
 * whose window restarted n cycles ago (after its own restart or a long gap).
 */
export function lastCycles(e: Engine, n: number): Engine {
  const C = CMAPSS_SENSORS.length;
  const keep = Math.min(n, e.cycles);
  return { unit: e.unit, cycles: keep, sensors: e.sensors.slice((e.cycles - keep) * C, e.cycles * C) };
}

/**
 * Cuts held-out run-to-failure engines the way the official test set was made: each keeps at
 * least `minCycles` cycles and its true RUL is drawn uniformly from [minRul, maxRul] (FD001's
 * official RULs run from 7 to 145) where the engine is long enough.
 */
export function truncateLikeTest(engines: readonly Engine[], rng: Rng, opts: { minCycles?: number; minRul?: number; maxRul?: number } = {}): { engines: Engine[]; rul: number[] } {
  const minCycles = opts.minCycles ?? 31;
  const minRul = opts.minRul ?? 7;
  const maxRul = opts.maxRul ?? 145;
  const out: Engine[] = [];
  const rul: number[] = [];
  for (const e of engines) {
    const hi = Math.min(maxRul, e.cycles - minCycles);
    const lo = Math.min(minRul, hi);
    const r = lo + rng.int(hi - lo + 1);
    const t = truncate(e, e.cycles - r);
    out.push(t.engine);
    rul.push(t.rul);
  }
  return { engines: out, rul };
}

/** Writes engines back in the official text format (for tests and for held-out files). */
export function formatCmapss(engines: readonly Engine[]): string {
  const C = CMAPSS_SENSORS.length;
  const lines: string[] = [];
  for (const e of engines) {
    for (let t = 0; t < e.cycles; t++) {
      const cols = new Array<string>(COLUMNS).fill('0');
      cols[0] = String(e.unit);
      cols[1] = String(t + 1);
      SENSOR_COLUMNS.forEach((col, j) => (cols[col] = String(e.sensors[t * C + j])));
      lines.push(`${cols.join(' ')}  `);
    }
  }
  return `${lines.join('\n')}\n`;
}
