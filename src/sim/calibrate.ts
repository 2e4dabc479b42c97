/**
 * Derives the simulator's constants from the real data sets, so the numbers committed in
 * pump-calibration.ts and turbofan-calibration.ts can be re-checked (test/sim/calibration.test.ts)
 * and re-derived: `node dist/src/sim/calibrate.js ../shared/data` prints them as JSON.
 * The data are never committed; only these numbers are.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PUMP_CHANNELS, type PumpChannel } from './pump-calibration';
import { FAN_SENSORS, type FanSensor } from './turbofan-calibration';

const MA_WINDOW = 120;
export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
export const std = (xs: readonly number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};
export function corr(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let s = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    s += (a[i]! - ma) * (b[i]! - mb);
    sa += (a[i]! - ma) ** 2;
    sb += (b[i]! - mb) ** 2;
  }
  return s / Math.sqrt(sa * sb);
}

/** Centred moving average (window k) over the interior where the window is full, and the residual. */
function split(xs: readonly number[], k = MA_WINDOW): { slow: number[]; fast: number[] } {
  const slow: number[] = [];
  const fast: number[] = [];
  const half = Math.floor(k / 2);
  let sum = 0;
  for (let i = 0; i < k; i++) sum += xs[i]!;
  for (let i = half; i + k - half < xs.length; i++) {
    slow.push(sum / k);
    fast.push(xs[i]! - sum / k);
    sum += xs[i + k - half]! - xs[i - half]!;
  }
  return { slow, fast };
}

/** Reads a SKAB file into columns by (space-free) header name. */
export function readSkabColumns(text: string): Map<string, number[]> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]!.split(';').map((h) => h.replace(/\s+/g, ''));
  const cols = new Map<string, number[]>(header.map((h) => [h, []]));
  for (const line of lines.slice(1)) line.split(';').forEach((v, i) => cols.get(header[i]!)?.push(Number(v)));
  return cols;
}

export interface PumpChannelStats {
  mean: number;
  std: number;
  fastStd: number;
  fastAr1: number;
  slowStd: number;
  /** Correlation of the channel's slow part with the first accelerometer's. */
  slowCorrAccel1: number;
}

export function calibratePump(anomalyFreeText: string): { channels: Record<PumpChannel, PumpChannelStats>; currentVoltageCorr: number; pressureLevels: number[] } {
  const cols = readSkabColumns(anomalyFreeText);
  const parts = new Map(PUMP_CHANNELS.map((c) => [c, split(cols.get(c)!)]));
  const channels = {} as Record<PumpChannel, PumpChannelStats>;
  for (const c of PUMP_CHANNELS) {
    const xs = cols.get(c)!;
    const { slow, fast } = parts.get(c)!;
    channels[c] = {
      mean: mean(xs),
      std: std(xs),
      fastStd: std(fast),
      fastAr1: corr(fast.slice(1), fast.slice(0, -1)),
      slowStd: std(slow),
      slowCorrAccel1: corr(slow, parts.get('Accelerometer1RMS')!.slow),
    };
  }
  return {
    channels,
    currentVoltageCorr: corr(parts.get('Current')!.fast, parts.get('Voltage')!.fast),
    pressureLevels: [...new Set(cols.get('Pressure')!)].sort((a, b) => a - b),
  };
}

/** Relative change of each channel's mean, anomalous rows against the same file's normal rows. */
export function valveShifts(texts: readonly string[]): Record<PumpChannel, { median: number; min: number; max: number }> {
  const rel: Record<string, number[]> = {};
  for (const text of texts) {
    const cols = readSkabColumns(text);
    const anomaly = cols.get('anomaly')!;
    for (const c of PUMP_CHANNELS) {
      const xs = cols.get(c)!;
      const normal = mean(xs.filter((_, i) => anomaly[i] === 0));
      const bad = mean(xs.filter((_, i) => anomaly[i] === 1));
      (rel[c] ??= []).push((bad - normal) / normal);
    }
  }
  return Object.fromEntries(PUMP_CHANNELS.map((c) => [c, { median: median(rel[c]!), min: Math.min(...rel[c]!), max: Math.max(...rel[c]!) }])) as Record<
    PumpChannel,
    { median: number; min: number; max: number }
  >;
}

export interface FanSensorStats {
  healthy: number;
  shift: number;
  noise: number;
  unitStd: number;
  k: number;
}

/** Least-squares cubic fit of y against x, returning the residuals (normal equations, 4x4). */
function cubicResiduals(x: readonly number[], y: readonly number[]): number[] {
  const n = 4;
  const a = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  for (let i = 0; i < x.length; i++) {
    const p = [1, x[i]!, x[i]! ** 2, x[i]! ** 3];
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) a[r]![c]! += p[r]! * p[c]!;
      a[r]![n]! += p[r]! * y[i]!;
    }
  }
  for (let c = 0; c < n; c++) {
    const piv = a.slice(c).reduce((best, row, i) => (Math.abs(row[c]!) > Math.abs(a[best]![c]!) ? c + i : best), c);
    [a[c], a[piv]] = [a[piv]!, a[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  const coef = a.map((row, i) => row[n]! / row[i]!);
  return x.map((xi, i) => y[i]! - (coef[0]! + coef[1]! * xi + coef[2]! * xi ** 2 + coef[3]! * xi ** 3));
}

/** Per-sensor healthy level, end-of-life shift, noise, engine-to-engine spread and wear shape from a C-MAPSS run-to-failure file. */
export function calibrateTurbofan(text: string): { lifeMin: number; lifeMean: number; lifeMax: number; sensors: Record<FanSensor, FanSensorStats> } {
  const units = new Map<number, number[][]>();
  for (const line of text.split(/\r?\n/)) {
    const cols = line.trim().split(/\s+/).map(Number);
    if (cols.length !== 26) continue;
    if (!units.has(cols[0]!)) units.set(cols[0]!, []);
    units.get(cols[0]!)!.push(cols);
  }
  const lives = [...units.values()].map((rows) => rows.length);
  const sensors = {} as Record<FanSensor, FanSensorStats>;
  for (const s of FAN_SENSORS) {
    const col = 4 + Number(s.slice(1));
    const first: number[] = [];
    const last: number[] = [];
    const noise: number[] = [];
    const curve: { f: number; y: number }[] = [];
    for (const rows of units.values()) {
      const y = rows.map((r) => r[col]!);
      const n = y.length;
      first.push(mean(y.slice(0, 20)));
      last.push(mean(y.slice(-5)));
      noise.push(std(cubicResiduals(y.map((_, i) => i / n), y)));
      y.forEach((v, i) => curve.push({ f: i / (n - 1), y: v }));
    }
    const healthy = mean(first);
    const shift = mean(last) - healthy;
    const noiseMean = mean(noise);
    let best = { k: 0, err: Infinity };
    for (let k = 0.5; k < 10; k += 0.25) {
      const d = Math.exp(k) - 1;
      let err = 0;
      for (const p of curve) err += (p.y - healthy - (shift * (Math.exp(k * p.f) - 1)) / d) ** 2;
      if (err < best.err) best = { k, err };
    }
    // The spread of 20-cycle means includes noise / sqrt(20); what remains is the engines' own spread.
    const unitStd = Math.sqrt(Math.max(0, std(first) ** 2 - noiseMean ** 2 / 20));
    sensors[s] = { healthy, shift, noise: noiseMean, unitStd, k: best.k };
  }
  return { lifeMin: Math.min(...lives), lifeMean: mean(lives), lifeMax: Math.max(...lives), sensors };
}

/** Everything, from the shared data folder (`skab/`, `cmapss/`). */
export function calibrateAll(dataDir: string): Record<string, unknown> {
  const skab = join(dataDir, 'skab');
  const valve = (dir: string) => readdirSync(join(skab, dir)).filter((f) => f.endsWith('.csv')).map((f) => readFileSync(join(skab, dir, f), 'utf8'));
  return {
    pump: calibratePump(readFileSync(join(skab, 'anomaly-free', 'anomaly-free.csv'), 'utf8')),
    valve: valveShifts([...valve('valve1'), ...valve('valve2')]),
    turbofan: calibrateTurbofan(readFileSync(join(dataDir, 'cmapss', 'train_FD001.txt'), 'utf8')),
  };
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node dist/src/sim/calibrate.js DATA_DIR   (the folder holding skab/ and cmapss/)\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(calibrateAll(dir), null, 2)}\n`);
}
