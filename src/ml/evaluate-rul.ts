import { SkipError } from '../core/errors';
import type { ModelManifest } from '../models/manifest';
import { CMAPSS_SENSORS, lastWindows, readCmapss, readRulTruth, type Engine } from './cmapss-data';
import { phm08Score, rmse } from './metrics';
import { OrtModel } from './ort-predict';

export interface RulEvaluation {
  engines: number;
  rmse: number;
  score: number;
  /** Engines shorter than the window (their first row was repeated to fill it). */
  padded: number;
  predictions: number[];
  truth: number[];
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

export function scoreRul(pred: number[], truth: number[], window: number, engines: readonly Engine[]): RulEvaluation {
  return { engines: truth.length, rmse: rmse(pred, truth), score: phm08Score(pred, truth), padded: engines.filter((e) => e.cycles < window).length, predictions: pred, truth };
}

/** `evaluate rul`: the official test_FD00x.txt + RUL_FD00x.txt, unchanged. */
export async function evaluateRulFiles(testFile: string, truthFile: string, onnx: Uint8Array, manifest: ModelManifest): Promise<RulEvaluation> {
  const engines = readCmapss(testFile);
  const truth = readRulTruth(truthFile);
  if (truth.length !== engines.length) throw new SkipError(truthFile, `${truth.length} RUL values for the ${engines.length} engines of ${testFile}`);
  const pred = await predictRulOnnx(onnx, manifest, engines);
  return scoreRul(pred, truth, rulInputSpec(manifest).window, engines);
}
