import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SkipError } from '../core/errors';

/**
 * Skoltech Anomaly Benchmark CSVs: `;` separated, header
 * `datetime;Accelerometer1RMS;...;Volume Flow RateRMS[;anomaly;changepoint]`. Channel names are
 * the header names without spaces (the asset channel names of config/demo.yaml).
 */
export const SKAB_CHANNELS = ['Accelerometer1RMS', 'Accelerometer2RMS', 'Current', 'Pressure', 'Temperature', 'Thermocouple', 'Voltage', 'VolumeFlowRateRMS'] as const;

export interface SkabFile {
  file: string;
  rows: number;
  /** [rows x 8] in SKAB_CHANNELS order. */
  values: Float32Array;
  /** Per-row 0/1 labels when the file has an `anomaly` column. */
  anomaly?: Uint8Array;
}

export function parseSkab(text: string, file: string): SkabFile {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new SkipError(file, 'no data rows');
  const header = lines[0]!.split(';').map((h) => h.trim().replace(/\s+/g, ''));
  const cols = SKAB_CHANNELS.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new SkipError(file, `column ${c} is missing from the header (${header.join(';')})`);
    return i;
  });
  const label = header.indexOf('anomaly');
  const rows = lines.length - 1;
  const C = SKAB_CHANNELS.length;
  const values = new Float32Array(rows * C);
  const anomaly = label >= 0 ? new Uint8Array(rows) : undefined;
  for (let r = 0; r < rows; r++) {
    const f = lines[r + 1]!.split(';');
    for (let c = 0; c < C; c++) {
      const v = Number(f[cols[c]!]);
      if (f[cols[c]!] === undefined || f[cols[c]!]!.trim() === '' || !Number.isFinite(v)) {
        throw new SkipError(`${file}:${r + 2}`, `${SKAB_CHANNELS[c]} is not a number: ${JSON.stringify(f[cols[c]!] ?? '')}`);
      }
      values[r * C + c] = v;
    }
    if (anomaly) {
      const a = Number(f[label]);
      if (a !== 0 && a !== 1) throw new SkipError(`${file}:${r + 2}`, `anomaly label must be 0 or 1, got ${JSON.stringify(f[label] ?? '')}`);
      anomaly[r] = a;
    }
  }
  return { file, rows, values, ...(anomaly ? { anomaly } : {}) };
}

export function readSkab(file: string, root?: string): SkabFile {
  return parseSkab(readFileSync(file, 'utf8'), root ? relative(root, file) : file);
}

/** Every .csv under `dir`, recursively, in a stable (sorted, numeric-aware) order. */
export function listCsv(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.toLowerCase().endsWith('.csv')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export interface ChannelStats {
  mean: number[];
  std: number[];
}

/** Mean and std per channel over rows [from, to); a constant channel gets std 1. */
export function channelStats(values: Float32Array, from: number, to: number): ChannelStats {
  const C = SKAB_CHANNELS.length;
  const mean = new Array<number>(C).fill(0);
  const sq = new Array<number>(C).fill(0);
  const n = to - from;
  for (let r = from; r < to; r++) {
    for (let c = 0; c < C; c++) {
      const v = values[r * C + c]!;
      mean[c]! += v;
      sq[c]! += v * v;
    }
  }
  for (let c = 0; c < C; c++) mean[c]! /= n;
  const std = sq.map((s, c) => Math.sqrt(Math.max(0, s / n - mean[c]! ** 2)) || 1);
  return { mean, std };
}

/** z-scores `values` with the given statistics (a new array). */
export function standardize(values: Float32Array, s: ChannelStats): Float32Array {
  const C = SKAB_CHANNELS.length;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - s.mean[i % C]!) / s.std[i % C]!;
  return out;
}

/** Sliding windows of `window` rows over rows [from, to), every `stride` rows, back to back. */
export function windows(z: Float32Array, from: number, to: number, window: number, stride: number): { x: Float32Array; n: number; ends: number[] } {
  const C = SKAB_CHANNELS.length;
  const ends: number[] = [];
  for (let end = from + window - 1; end < to; end += stride) ends.push(end);
  const x = new Float32Array(ends.length * window * C);
  ends.forEach((end, i) => x.set(z.subarray((end - window + 1) * C, (end + 1) * C), i * window * C));
  return { x, n: ends.length, ends };
}
