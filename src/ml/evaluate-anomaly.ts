import { SkipError } from '../core/errors';
import type { ModelManifest } from '../models/manifest';
import { confusion, detectionMetrics, type Confusion } from './metrics';
import { OrtModel } from './ort-predict';
import { channelStats, listCsv, readSkab, SKAB_CHANNELS, standardize, windows, type ChannelStats, type SkabFile } from './skab-data';

export interface FileResult {
  file: string;
  rows: number;
  f1: number;
  far: number;
  mar: number;
}

export interface AnomalyEvaluation {
  files: FileResult[];
  /** Unlabelled CSVs (no `anomaly` column), not scored. */
  skipped: string[];
  total: Confusion & { f1: number; far: number; mar: number };
}

export interface AnomalyEvalOptions {
  /** Standardize each file with its first N rows (SKAB protocol); 0 = the manifest's z-score; default: the manifest's baseline frames. */
  calibrationRows?: number;
  /** Overrides the manifest's thresholds.anomaly. */
  threshold?: number;
}

export function anomalyInputSpec(manifest: ModelManifest): { window: number; stats: ChannelStats; minStd: readonly number[]; calibrationRows: number | undefined } {
  const input = manifest.inputs[0]!;
  const subject = `model ${manifest.id}`;
  if (input.layout !== 'frames' || !input.frames) throw new SkipError(subject, 'expected a frames input with a window length');
  if ((input.channels ?? []).join(',') !== SKAB_CHANNELS.join(',')) throw new SkipError(subject, `expected channels ${SKAB_CHANNELS.join(', ')}`);
  const n = input.normalization;
  const stats =
    n.type === 'zscore' ? { mean: n.mean, std: n.std }
    : n.type === 'baseline' && n.mean && n.std ? { mean: n.mean, std: n.std }
    : { mean: SKAB_CHANNELS.map(() => 0), std: SKAB_CHANNELS.map(() => 1) };
  const minStd = n.type === 'baseline' ? n.minStd : SKAB_CHANNELS.map(() => 0);
  return { window: input.frames, stats, minStd, calibrationRows: n.type === 'baseline' ? n.frames : undefined };
}

/** Scores of every window (stride 1) of one file with the ONNX model; point t gets the window ending at t. */
export async function scoreFile(model: OrtModel, f: SkabFile, window: number, stats: ChannelStats): Promise<Float32Array> {
  const z = standardize(f.values, stats);
  const w = windows(z, 0, f.rows, window, 1);
  return model.run(w.x, [window, SKAB_CHANNELS.length]);
}

/** `evaluate anomaly`: point-wise F1, FAR, MAR over every labelled SKAB CSV under `dir`. */
export async function evaluateAnomalyDir(dir: string, onnx: Uint8Array, manifest: ModelManifest, opts: AnomalyEvalOptions): Promise<AnomalyEvaluation> {
  const { window, stats, minStd, calibrationRows } = anomalyInputSpec(manifest);
  const rows = opts.calibrationRows ?? calibrationRows ?? 400;
  const threshold = opts.threshold ?? manifest.thresholds.anomaly;
  if (threshold === undefined) throw new SkipError(`model ${manifest.id}`, 'no thresholds.anomaly in the manifest and no --threshold given');
  const model = await OrtModel.load(onnx);
  const files: FileResult[] = [];
  const skipped: string[] = [];
  const total: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  try {
    for (const path of listCsv(dir)) {
      const f = readSkab(path, dir);
      if (!f.anomaly) {
        skipped.push(f.file);
        continue;
      }
      if (f.rows < window) throw new SkipError(f.file, `${f.rows} rows, shorter than the model's ${window}-row window`);
      // The same floor the gateway's baseline calibration applies (src/models/baseline.ts).
      const cal = rows > 0 ? channelStats(f.values, 0, Math.min(rows, f.rows)) : undefined;
      const s = cal ? { mean: cal.mean, std: cal.std.map((v, c) => Math.max(v, minStd[c] ?? 0)) } : stats;
      const scores = await scoreFile(model, f, window, s);
      const pred = new Uint8Array(f.rows);
      for (let i = 0; i < scores.length; i++) pred[window - 1 + i] = scores[i]! > threshold ? 1 : 0;
      const c = confusion(pred, f.anomaly);
      confusion(pred, f.anomaly, total);
      const m = detectionMetrics(c);
      files.push({ file: f.file, rows: f.rows, f1: m.f1, far: m.far, mar: m.mar });
    }
  } finally {
    await model.release();
  }
  if (files.length === 0) throw new SkipError(dir, 'no labelled SKAB CSV (with an anomaly column) under this folder');
  const m = detectionMetrics(total);
  return { files, skipped, total: { ...total, f1: m.f1, far: m.far, mar: m.mar } };
}
