import type { LayerSpec } from './layers';
import { mse } from './losses';
import { OnnxGraphBuilder } from './onnx';
import { Rng } from './rng';
import { cosineLr } from './schedule';
import { Sequential } from './sequential';
import { channelStats, listCsv, readSkab, SKAB_CHANNELS, standardize, windows, type ChannelStats, type SkabFile } from './skab-data';
import { fit, formatEpoch, type FitResult, type TrainHyperParams } from './trainer';

export interface AnomalyOptions extends TrainHyperParams {
  window: number;
  /** Rows at the start of each file used to standardize it (SKAB: the anomaly-free start). */
  calibrationRows: number;
  /**
   * Rows calibrationRows..calibrationEnd of each labelled file set the level weights, lambda and
   * the threshold: a fixed range, so no anomaly label is read. 550 ends before the first anomaly
   * of every SKAB file (rows 560-578); it was chosen knowing that.
   */
  calibrationEnd: number;
  /** The long anomaly-free recording is cut into runs this long, each standardized by its own start. */
  runRows: number;
  stride: number;
  /** Threshold = factor x this quantile of the scores of held-out normal windows. */
  thresholdQuantile: number;
  thresholdFactor: number;
  /** Bottleneck activation: tanh bounds the code, so far-off levels cannot be reconstructed. */
  bottleneck: 'relu' | 'tanh';
}

export const ANOMALY_DEFAULTS: AnomalyOptions = {
  window: 30,
  calibrationRows: 400,
  calibrationEnd: 550,
  runRows: 1150,
  stride: 1,
  epochs: 40,
  batchSize: 64,
  lr: 1e-3,
  weightDecay: 1e-4,
  patience: 8,
  seed: 42,
  size: 'teacher',
  thresholdQuantile: 0.99,
  thresholdFactor: 1,
  bottleneck: 'tanh',
};

/** A dense under-complete autoencoder over the flattened window; the student is narrower. */
export function anomalyArchitecture(window: number, size: 'teacher' | 'student', bottleneck: 'relu' | 'tanh' = 'tanh'): LayerSpec[] {
  const C = SKAB_CHANNELS.length;
  const [h, z] = size === 'student' ? [24, 6] : [64, 12];
  return [
    { type: 'flatten' },
    { type: 'dense', units: h },
    { type: 'activation', fn: 'relu' },
    { type: 'dense', units: z },
    { type: 'activation', fn: bottleneck },
    { type: 'dense', units: h },
    { type: 'activation', fn: 'relu' },
    { type: 'dense', units: window * C },
    { type: 'reshape', shape: [window, C] },
  ];
}

/** A standardized recording: z-scores from its own first `calibrationRows` rows. */
export interface Run {
  name: string;
  z: Float32Array;
  rows: number;
  anomaly?: Uint8Array;
}

export function calibrate(f: SkabFile, calibrationRows: number, stats?: ChannelStats): Run {
  const s = stats ?? channelStats(f.values, 0, Math.min(calibrationRows, f.rows));
  return { name: f.file, z: standardize(f.values, s), rows: f.rows, ...(f.anomaly ? { anomaly: f.anomaly } : {}) };
}

export interface AnomalyData {
  /** Runs cut from the anomaly-free recording. */
  freeRuns: Run[];
  /** Labelled files (their anomaly-free starts are training data too). */
  labelled: Run[];
  /** Raw labelled files, for the manifest's fallback normalization. */
  files: SkabFile[];
}

export function loadSkab(dataDir: string, opts: Pick<AnomalyOptions, 'calibrationRows' | 'runRows'>): AnomalyData {
  const files = listCsv(dataDir).map((p) => readSkab(p, dataDir));
  const free = files.filter((f) => !f.anomaly);
  const labelled = files.filter((f) => f.anomaly);
  const C = SKAB_CHANNELS.length;
  const freeRuns: Run[] = [];
  for (const f of free) {
    for (let start = 0; start + opts.calibrationRows * 2 <= f.rows; start += opts.runRows) {
      const rows = Math.min(opts.runRows, f.rows - start);
      const part: SkabFile = { file: `${f.file}[${start}:${start + rows}]`, rows, values: f.values.subarray(start * C, (start + rows) * C) };
      freeRuns.push(calibrate(part, opts.calibrationRows));
    }
  }
  return { freeRuns, labelled: labelled.map((f) => calibrate(f, opts.calibrationRows)), files: labelled };
}

function concat(parts: Array<{ x: Float32Array; n: number }>): { x: Float32Array; n: number } {
  const x = new Float32Array(parts.reduce((a, p) => a + p.x.length, 0));
  let o = 0;
  for (const p of parts) {
    x.set(p.x, o);
    o += p.x.length;
  }
  return { x, n: parts.reduce((a, p) => a + p.n, 0) };
}

/** The anomaly score's parameters besides the autoencoder. */
export interface ScoreParams {
  /** Per-channel weights of the level term (1 / variance of a normal window's mean). */
  weights: number[];
  /** Weight of the shape (reconstruction) term. */
  lambda: number;
}

/** Subtracts each window's per-channel mean: the autoencoder sees shapes, the level term sees means. */
export function centerWindows(x: Float32Array, window: number): { xc: Float32Array; means: Float64Array } {
  const C = SKAB_CHANNELS.length;
  const per = window * C;
  const n = x.length / per;
  const means = new Float64Array(n * C);
  const xc = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < per; j++) means[i * C + (j % C)]! += x[i * per + j]! / window;
    for (let j = 0; j < per; j++) xc[i * per + j] = x[i * per + j]! - means[i * C + (j % C)]!;
  }
  return { xc, means };
}

/**
 * Both terms for each window: level = sum_c w_c m_c² / C over the window means m (a diagonal
 * Hotelling T²: sustained departures from the calibrated baseline), shape = mean squared
 * reconstruction error of the centered window (the Q statistic, learned by the autoencoder).
 */
export function scoreTerms(model: Sequential, x: Float32Array, weights: readonly number[]): { level: Float64Array; shape: Float64Array } {
  const C = SKAB_CHANNELS.length;
  const W = model.inShape[0]!;
  const per = W * C;
  const { xc, means } = centerWindows(x, W);
  const n = means.length / C;
  const recon = model.predict(xc);
  const level = new Float64Array(n);
  const shape = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let l = 0;
    for (let c = 0; c < C; c++) l += weights[c]! * means[i * C + c]! ** 2;
    level[i] = l / C;
    let q = 0;
    for (let j = 0; j < per; j++) q += (xc[i * per + j]! - recon[i * per + j]!) ** 2;
    shape[i] = q / per;
  }
  return { level, shape };
}

/** The anomaly score of each window, as the ONNX graph computes it: level + lambda * shape. */
export function scoreWindows(model: Sequential, x: Float32Array, p: ScoreParams): Float64Array {
  const { level, shape } = scoreTerms(model, x, p.weights);
  return level.map((l, i) => l + p.lambda * shape[i]!);
}

/** Level weights 1 / var(window mean) per channel on normal windows, scaled to mean 1. */
export function channelWeights(x: Float32Array, window: number): number[] {
  const C = SKAB_CHANNELS.length;
  const { means } = centerWindows(x, window);
  const n = means.length / C;
  const v = new Array<number>(C).fill(0);
  for (let i = 0; i < means.length; i++) v[i % C]! += means[i]! ** 2 / n;
  const inv = v.map((s) => 1 / Math.max(s, 1e-6));
  const m = inv.reduce((a, b) => a + b, 0) / C;
  return inv.map((w) => w / m);
}

/** Scores on normal windows → weights, lambda (both terms weigh the same on normal data) and threshold. */
export function calibrateScore(model: Sequential, normal: Float32Array, opts: Pick<AnomalyOptions, 'thresholdQuantile' | 'thresholdFactor'>): ScoreParams & { threshold: number } {
  const weights = channelWeights(normal, model.inShape[0]!);
  const { level, shape } = scoreTerms(model, normal, weights);
  const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
  const lambda = mean(level) / Math.max(1e-9, mean(shape));
  const threshold = opts.thresholdFactor * quantile(scoreWindows(model, normal, { weights, lambda }), opts.thresholdQuantile);
  return { weights, lambda, threshold };
}

export function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1))))]!;
}

export interface AnomalyResult {
  model: Sequential;
  score: ScoreParams & { threshold: number };
  /** Centered training and early-stopping windows (fine-tuning and distillation reuse them). */
  trainC: Float32Array;
  valC: Float32Array;
  /** Raw (uncentered) normal windows that calibrate weights and threshold. */
  calib: Float32Array;
  fit: FitResult;
  trainWindows: number;
  heldOutWindows: number;
}

/** Fits an autoencoder to reproduce centered windows (targets = inputs, or a teacher's reconstructions). */
export function fitAutoencoder(model: Sequential, x: Float32Array, valC: Float32Array, opts: AnomalyOptions, log: (line: string) => void, extra: { targets?: Float32Array; afterStep?: (m: Sequential) => void } = {}): FitResult {
  const per = model.inShape.reduce((a, b) => a * b, 1);
  return fit(model, { x, y: extra.targets ?? x, n: x.length / per }, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    loss: mse,
    schedule: cosineLr({ lr: opts.lr, epochs: opts.epochs, warmupEpochs: 1 }),
    optimizer: { weightDecay: opts.weightDecay, clipNorm: 5 },
    seed: opts.seed,
    validate: (m) => {
      const r = m.predict(valC);
      let e = 0;
      for (let i = 0; i < r.length; i++) e += (r[i]! - valC[i]!) ** 2;
      return e / r.length;
    },
    valName: 'val-mse',
    patience: opts.patience,
    ...(opts.timeBudgetMs !== undefined ? { timeBudgetMs: opts.timeBudgetMs } : {}),
    ...(extra.afterStep ? { afterStep: extra.afterStep } : {}),
    onEpoch: (r) => log(formatEpoch(r)),
  });
}

/**
 * Trains on normal data only: the anomaly-free runs (a quarter held out for early stopping) plus
 * the calibration start of each labelled file. Rows calibrationRows..calibrationEnd of each
 * labelled file (anomaly-free in SKAB; a fixed range, labels are never read) set the per-channel
 * level weights, lambda and the threshold, so they reflect how a calibrated run drifts.
 */
export function trainAnomaly(data: AnomalyData, opts: AnomalyOptions, log: (line: string) => void = () => undefined): AnomalyResult {
  const rng = new Rng(opts.seed);
  const order = rng.shuffle(data.freeRuns.map((_, i) => i));
  const nHeld = Math.max(1, Math.round(data.freeRuns.length / 4));
  const held = order.slice(0, nHeld).map((i) => data.freeRuns[i]!);
  const trainRuns = order.slice(nHeld).map((i) => data.freeRuns[i]!);
  const W = opts.window;
  const train = concat([
    ...trainRuns.map((r) => windows(r.z, 0, r.rows, W, opts.stride)),
    ...data.labelled.map((r) => windows(r.z, 0, Math.min(opts.calibrationRows, r.rows), W, opts.stride)),
  ]);
  const val = concat(held.map((r) => windows(r.z, 0, r.rows, W, 1)));
  const tail = concat(data.labelled.map((r) => windows(r.z, Math.max(0, opts.calibrationRows - W + 1), Math.min(opts.calibrationEnd, r.rows), W, 1)));
  const model = new Sequential(anomalyArchitecture(W, opts.size, opts.bottleneck), [W, SKAB_CHANNELS.length], { seed: opts.seed });
  log(`training ${opts.size} autoencoder (${model.paramCount()} parameters) on ${train.n} normal windows of ${W} s; early stopping on ${val.n}, threshold from ${tail.n} post-calibration normal windows`);
  const trainC = centerWindows(train.x, W).xc;
  const valC = centerWindows(val.x, W).xc;
  const result = fitAutoencoder(model, trainC, valC, opts, log);
  const calib = tail.n > 0 ? tail : val;
  const score = calibrateScore(model, calib.x, opts);
  log(`level weights ${score.weights.map((w, c) => `${SKAB_CHANNELS[c]}=${w.toFixed(3)}`).join(' ')}; shape weight ${score.lambda.toFixed(3)}; threshold ${score.threshold.toFixed(4)}`);
  return { model, score, fit: result, trainWindows: train.n, heldOutWindows: calib.n, trainC, valC, calib: calib.x };
}

/**
 * The shipped graph: input `x` [N, window, 8] (z-scored), output `score` [N] =
 * sum_c w_c m_c² / C + lambda * mean((xc - AE(xc))²) with m the window means and xc the centered
 * window — the anomaly score itself, so the pipeline needs no model-specific code.
 */
export function anomalyToOnnx(model: Sequential, p: ScoreParams, opts: { int8?: boolean; metadata?: Record<string, string> } = {}): Uint8Array {
  const C = SKAB_CHANNELS.length;
  const g = new OnnxGraphBuilder('skab_anomaly');
  g.input('x', [-1, ...model.inShape]);
  const mean = g.op('ReduceMean', ['x'], { axes: [1], keepdims: 1 }, 'window_mean');
  const xc = g.op('Sub', ['x', mean], {}, 'centered');
  const recon = model.exportInto(g, { name: xc, layout: 'NTC' }, { int8: opts.int8 ?? false });
  const diff = g.op('Sub', [xc, recon.name]);
  const q = g.op('ReduceMean', [g.op('Mul', [diff, diff])], { axes: [1, 2], keepdims: 0 }, 'shape_term');
  const m2 = g.op('Mul', [mean, mean]);
  const level = g.op('ReduceMean', [g.op('Mul', [m2, g.floats('level_weights', p.weights, [1, 1, C])])], { axes: [1, 2], keepdims: 0 }, 'level_term');
  const shape = g.op('Mul', [q, g.floats('shape_weight', [p.lambda], [])]);
  g.node('Add', [level, shape], ['score']);
  g.output('score', [-1]);
  return g.toModelBytes({ opset: 17, producer: 'pdm-gateway', metadata: { ...model.metadata(), ...(opts.metadata ?? {}) } });
}

/**
 * Point labels from window scores: the window ending at row t labels row t (what an online
 * gateway can do); rows before the first full window are labelled normal.
 */
export function pointLabels(rows: number, window: number, scores: ArrayLike<number>, threshold: number): Uint8Array {
  const out = new Uint8Array(rows);
  for (let i = 0; i < scores.length; i++) out[window - 1 + i] = scores[i]! > threshold ? 1 : 0;
  return out;
}
