import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FatalError } from '../core/errors';
import type { ModelManifest } from '../models/manifest';
import { anomalyToOnnx } from './anomaly-model';
import { evaluateAnomalyDir } from './evaluate-anomaly';
import { predictRulOnnx } from './evaluate-rul';
import { phm08Score, rmse } from './metrics';
import { buildManifest, readModelDir, variantDraft, writeModelDir } from './model-files';
import { readOnnxModel } from './onnx';
import type { LayerSpec } from './layers';
import { loadTrainEngines, META_MEMBER_LAYERS, META_MEMBERS, RUL_DEFAULTS, rulToOnnx, splitEngines } from './rul-model';
import { Sequential } from './sequential';

/** Both exports of a shipped float model rebuilt from its own weights. */
export interface RebuiltGraphs {
  float: Uint8Array;
  int8: Uint8Array;
}

function scalars(subject: string, onnx: Uint8Array, name: string): number[] {
  const t = readOnnxModel(onnx).initializers.get(name);
  if (!(t?.data instanceof Float32Array)) throw new FatalError(subject, `float initializer ${name} is missing: not a graph written by the ${name === 'cap' || name === 'offset' ? 'RUL' : 'anomaly'} pipeline`);
  return Array.from(t.data);
}

/**
 * Loads the networks of a float model written by the RUL or anomaly pipeline (an ensemble's
 * members by their name prefixes, the anomaly score's weights from its initializers) and exports
 * it again, float and int8. The float export must reproduce the file byte for byte, which proves
 * the int8 graph is the quantization of exactly the shipped weights.
 */
export function rebuildGraphs(manifest: ModelManifest, onnx: Uint8Array, subject: string): RebuiltGraphs {
  const info = readOnnxModel(onnx);
  let rebuilt: (int8: boolean) => Uint8Array;
  if (manifest.kind === 'rul') {
    const members = Number(info.metadata[META_MEMBERS] ?? 1);
    const layers = info.metadata[META_MEMBER_LAYERS];
    const specs = layers ? (JSON.parse(layers) as LayerSpec[][]) : undefined;
    const models = Array.from({ length: members }, (_, k) => Sequential.fromOnnx(onnx, { ...(members > 1 ? { namePrefix: `m${k}_` } : {}), ...(specs?.[k] ? { specs: specs[k] } : {}) }));
    const cap = scalars(subject, onnx, 'cap')[0]!;
    const offset = info.initializers.has('offset') ? scalars(subject, onnx, 'offset')[0]! : 0;
    rebuilt = (int8) => rulToOnnx(models, cap, { int8, offset });
  } else {
    const model = Sequential.fromOnnx(onnx);
    const score = { weights: scalars(subject, onnx, 'level_weights'), lambda: scalars(subject, onnx, 'shape_weight')[0]! };
    rebuilt = (int8) => anomalyToOnnx(model, score, { int8 });
  }
  const float = rebuilt(false);
  if (Buffer.compare(Buffer.from(float), Buffer.from(onnx)) !== 0) throw new FatalError(subject, 're-exporting the loaded networks does not reproduce the file; refusing to quantize a graph this tool did not write');
  return { float, int8: rebuilt(true) };
}

/** The figures the training pipeline records for a variant, measured on the real data. */
export async function variantMetrics(manifest: ModelManifest, onnx: Uint8Array, data: string): Promise<Record<string, number>> {
  if (manifest.kind === 'rul') {
    // The pipeline's final held-out engines and truncations (splitSeed, holdout, truncations of RUL_DEFAULTS).
    const report = splitEngines(loadTrainEngines(data), RUL_DEFAULTS).report;
    const pred = await predictRulOnnx(onnx, manifest, report.engines);
    return { valRmse: rmse(pred, report.rul), valScorePer100: (phm08Score(pred, report.rul) * 100) / pred.length };
  }
  const norm = manifest.inputs[0]!.normalization;
  const ev = await evaluateAnomalyDir(data, onnx, manifest, norm.type === 'baseline' ? { calibrationRows: norm.frames } : {});
  return { f1: ev.total.f1, far: ev.total.far, mar: ev.total.mar };
}

/**
 * `quantize --model DIR`: writes DIR/variants/int8 (model.onnx + manifest.json) from the float
 * model in DIR, as the training pipeline would, without retraining. With `data`, the variant's
 * metrics are measured as the pipeline measures them; without, the manifest carries none.
 */
export async function quantizeModelDir(dir: string, data: string | undefined): Promise<{ manifest: ModelManifest; bytes: number; floatBytes: number }> {
  const { manifest, onnx } = readModelDir(dir);
  const { int8 } = rebuildGraphs(manifest, onnx, join(dir, manifest.file));
  const metrics = data ? await variantMetrics(buildManifest(int8, variantDraft(manifest, 'int8', {})), int8, data) : {};
  const written = writeModelDir(join(dir, 'variants', 'int8'), int8, variantDraft(manifest, 'int8', metrics));
  return { manifest: written, bytes: int8.length, floatBytes: onnx.length };
}

/**
 * Rewrites the manifest of every variant under DIR/variants from the parent's, as the training
 * pipelines write them (variantDraft): the parent's inputs, normalization and training block, each
 * variant's own thresholds and metrics, the sha256 of its unchanged ONNX file. For variants
 * written before the pipeline's manifest changed (e.g. anomaly normalization zscore -> baseline).
 */
export function restampVariants(dir: string): string[] {
  const { manifest: parent } = readModelDir(dir);
  const root = join(dir, 'variants');
  const names = existsSync(root) ? readdirSync(root).filter((n) => existsSync(join(root, n, 'manifest.json'))).sort() : [];
  for (const name of names) {
    const { manifest, onnx } = readModelDir(join(root, name));
    writeModelDir(join(root, name), onnx, variantDraft(parent, name, manifest.metrics, manifest.thresholds));
  }
  return names;
}
