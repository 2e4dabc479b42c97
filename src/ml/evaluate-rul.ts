import { FatalError, SkipError } from '../core/errors';
import type { ModelManifest } from '../models/manifest';
import { CMAPSS_SENSORS, lastCycles, lastWindows, readCmapss, readRulTruth, type Engine } from './cmapss-data';
import { capTruth, rulFigures } from './metrics';
import { OrtModel } from './ort-predict';
import { loadTrainEngines, RUL_DEFAULTS, splitEngines, type RulOptions } from './rul-model';

export interface RulEvaluation {
  engines: number;
  rmse: number;
  score: number;
  /** Engines shorter than the window (their first row was repeated to fill it). */
  padded: number;
  predictions: number[];
  truth: number[];
  /** The same against the true RUL capped at the model's output ceiling, when the manifest declares one (see capTruth). */
  cappedTruth?: { cap: number; rmse: number; score: number };
}

/** Window length and z-score of a `frames` RUL model, checked against what C-MAPSS provides. */
export function rulInputSpec(manifest: ModelManifest): { window: number; mean: number[]; std: number[] } {
  const input = manifest.inputs[0]!;
  const subject = `model ${manifest.id}`;
  if (input.layout !== 'frames' || !input.frames) throw new SkipError(subject, 'expected a frames input with a window length');
  const channels = input.channels ?? [];
  if (channels.join(',') !== CMAPSS_SENSORS.join(',')) throw new SkipError(subject, `expected channels ${CMAPSS_SENSORS.join(', ')}, the manifest has ${channels.join(', ')}`);
  const norm = input.normalization;
  if (norm.type === 'zscore') return { window: input.frames, mean: norm.mean, std: norm.std };
  if (norm.type === 'none') return { window: input.frames, mean: channels.map(() => 0), std: channels.map(() => 1) };
  if (norm.type === 'minmax') return { window: input.frames, mean: norm.min, std: norm.max.map((m, i) => m - norm.min[i]!) };
  throw new SkipError(subject, `${norm.type} normalization is not supported by the RUL evaluation (one prediction per engine needs fixed statistics)`);
}

/** One prediction per engine at its last cycle with the ONNX file itself, as in the official protocol. */
export async function predictRulOnnx(onnx: Uint8Array, manifest: ModelManifest, engines: readonly Engine[]): Promise<number[]> {
  const spec = rulInputSpec(manifest);
  const model = await OrtModel.load(onnx);
  try {
    const out = await model.run(lastWindows(engines, spec.window, spec), [spec.window, CMAPSS_SENSORS.length]);
    return Array.from(out);
  } finally {
    await model.release();
  }
}

export function scoreRul(pred: number[], truth: number[], window: number, engines: readonly Engine[], cap?: number): RulEvaluation {
  return {
    engines: truth.length, ...rulFigures(pred, truth), padded: engines.filter((e) => e.cycles < window).length, predictions: pred, truth,
    ...(cap === undefined ? {} : { cappedTruth: { cap, ...rulFigures(pred, capTruth(truth, cap)) } }),
  };
}

/** The model's RUL ceiling: the upper end of its output's declared range. */
export function rulCap(manifest: ModelManifest): number | undefined {
  return manifest.outputs[0]?.range?.[1];
}

/** `evaluate rul`: the official test_FD00x.txt + RUL_FD00x.txt, unchanged. */
export async function evaluateRulFiles(testFile: string, truthFile: string, onnx: Uint8Array, manifest: ModelManifest): Promise<RulEvaluation> {
  const engines = readCmapss(testFile);
  const truth = readRulTruth(truthFile);
  if (truth.length !== engines.length) throw new SkipError(truthFile, `${truth.length} RUL values for the ${engines.length} engines of ${testFile}`);
  const pred = await predictRulOnnx(onnx, manifest, engines);
  return scoreRul(pred, truth, rulInputSpec(manifest).window, engines, rulCap(manifest));
}

/** How the final held-out cases were cut (the training run's split). */
export type HeldOutSplit = Pick<RulOptions, 'holdout' | 'truncations' | 'splitSeed'>;

/**
 * The split a model's held-out figures were made on, as far as its manifest records it: held-out
 * engines (valEngines) and cases (valCases = engines x truncations); the split seed is not recorded,
 * so it is the default's, as for every model trained here.
 */
export function heldOutSplitOf(manifest: ModelManifest): HeldOutSplit {
  const { valEngines: engines, valCases: cases } = manifest.metrics;
  const recorded = engines !== undefined && cases !== undefined && engines > 0 && Number.isInteger(cases / engines);
  return recorded ? { holdout: engines, truncations: cases / engines, splitSeed: RUL_DEFAULTS.splitSeed } : { holdout: RUL_DEFAULTS.holdout, truncations: RUL_DEFAULTS.truncations, splitSeed: RUL_DEFAULTS.splitSeed };
}

/**
 * `evaluate rul-held-out`: the final held-out engines of train_FD001.txt, cut at the same random
 * cycles as the training run cut them (same split seed, hold-out count and truncations), scored
 * with the ONNX file: re-measures the model card's held-out figure from the shipped file alone.
 */
export async function evaluateRulHeldOut(dataDir: string, onnx: Uint8Array, manifest: ModelManifest, split: HeldOutSplit = heldOutSplitOf(manifest), opts: { history?: number } = {}): Promise<RulEvaluation> {
  const { history } = opts;
  if (history !== undefined && !(Number.isInteger(history) && history >= 1)) throw new FatalError('--history', `expected a whole number of cycles >= 1, got ${history}`);
  const { report } = splitEngines(loadTrainEngines(dataDir), split);
  // --history n: each engine as the model sees it n cycles after its window restarted
  const engines = history === undefined ? report.engines : report.engines.map((e) => lastCycles(e, history));
  const pred = await predictRulOnnx(onnx, manifest, engines);
  return scoreRul(pred, report.rul, rulInputSpec(manifest).window, engines, rulCap(manifest));
}
