import { join } from 'node:path';
import { CMAPSS_SENSORS } from './cmapss-data';
import { predictRulOnnx } from './evaluate-rul';
import { phm08Score, rmse } from './metrics';
import { buildManifest, writeModelDir, framesInput, variantDraft, type ManifestDraft } from './model-files';
import { fmt } from './model-card';
import { cvLine, rulCard } from './rul-card';
import { sparsity } from './prune';
import { distillationSet } from './distill';
import { crossValidateRul, type CvFigures } from './rul-cv';
import { MemberPool } from './member-pool';
import { ensembleNote, memberWindowsNote } from './rul-ensemble';
import { ensembleSize, loadTrainEngines, rulToOnnx, splitEngines, withInnerVal, type Norm, type RulOptions, type RulSplit } from './rul-model';
import { trainRul } from './rul-train';
import type { Sequential } from './sequential';
import type { ModelManifest } from '../models/manifest';

/** The shipped model's version: what a run writes unless given another (`train rul --model-version`). */
export const RUL_MODEL_VERSION = '1.5.0';

export interface RulPipelineOptions extends RulOptions {
  data: string;
  out: string;
  id: string;
  /** Manifest version (semver); default RUL_MODEL_VERSION. */
  version?: string;
  /** Also build the pruned, int8 and distilled variants under <out>/variants/. */
  compress: boolean;
  /** Cross-validation folds over the training engines, run before the final model (figures go to the model card). */
  cvFolds?: number;
  /** Cross-validation figures already computed with the same options (instead of cvFolds). */
  cvFigures?: CvFigures;
  pruneLambda: number;
  fineTuneEpochs: number;
}

export interface VariantFigures {
  name: string;
  params: number;
  bytes: number;
  valRmse: number;
  valScorePer100: number;
  sparsity?: number;
}

function manifestDraft(opts: RulPipelineOptions, id: string, norm: Norm, metrics: Record<string, number>, description: string): ManifestDraft {
  return {
    id,
    version: opts.version ?? RUL_MODEL_VERSION,
    kind: 'rul',
    description,
    inputs: [framesInput(opts.window, CMAPSS_SENSORS, { type: 'zscore', mean: norm.mean, std: norm.std })],
    outputs: [{ name: 'rul', meaning: 'rul', units: 'cycles', range: [0, opts.cap] }],
    thresholds: { rulWarn: 50, rulAlarm: 20 },
    training: {
      data: 'NASA C-MAPSS FD001 train_FD001.txt (Saxena et al., PHM 2008)',
      protocol: `14 sensors, ${opts.scale === 'minmax' ? 'min-max to [-1, 1] (as offset/scale)' : 'z-score'}; piecewise-linear RUL capped at ${opts.cap}; windows of ${opts.window} cycles; ${ensembleSize(opts) > 1 ? `${ensembleNote(opts)} averaged${memberWindowsNote(opts)}; ` : ''}${opts.holdout} final held-out engines (never used for choices), truncated at random cycles (true RUL uniform in [7, 145]) x ${opts.truncations}; one prediction per engine at its last cycle`,
      date: new Date().toISOString().slice(0, 10),
      seed: opts.seed,
    },
    metrics,
  };
}

/** ONNX-file figures on the report truncations: what the shipped graph really does. */
async function onnxFigures(name: string, onnx: Uint8Array, manifest: ModelManifest, split: RulSplit, params: number): Promise<VariantFigures> {
  const pred = await predictRulOnnx(onnx, manifest, split.report.engines);
  return { name, params, bytes: onnx.length, valRmse: rmse(pred, split.report.rul), valScorePer100: (phm08Score(pred, split.report.rul) * 100) / pred.length };
}

/** `train rul`: teacher, optional compressed variants, manifest, model card. */
export async function runRulPipeline(opts: RulPipelineOptions, log: (line: string) => void): Promise<{ manifest: ModelManifest; variants: VariantFigures[]; cv?: CvFigures }> {
  const all = loadTrainEngines(opts.data);
  const cv = opts.cvFigures ?? (opts.cvFolds ? await crossValidateRul(all, opts, opts.cvFolds, log) : undefined);
  if (cv) log(cvLine(cv));
  const started = Date.now();
  const split = withInnerVal(splitEngines(all, opts), opts);
  const pool = new MemberPool(opts.jobs, log);
  const teacher = await trainRul(split, opts, log, pool);
  const { norm, data, models } = teacher;
  const params = models.reduce((a, m) => a + m.paramCount(), 0);
  const draftFor = (id: string, m: Record<string, number>, d: string): ManifestDraft => manifestDraft(opts, id, norm, m, d);
  const variants: VariantFigures[] = [];

  const onnx = rulToOnnx(models, opts.cap, { offset: opts.offset });
  const probe = buildManifest(onnx, draftFor(opts.id, {}, ''));
  const base = await onnxFigures('float32', onnx, probe, split, params);
  variants.push(base);
  log(`float32 ONNX: validation RMSE ${fmt(base.valRmse)}, PHM08 score ${fmt(teacher.metrics.valScore)} (${fmt(base.valScorePer100)} per 100 engines)`);

  if (opts.compress) {
    const ft: RulOptions = { ...opts, epochs: opts.fineTuneEpochs, lr: opts.lr / 4, patience: opts.fineTuneEpochs };
    // Distillation: one smaller student fitted to the (ensemble) teacher's outputs, queued first
    // (the longest of these fits) so that the pruned fine-tunes share the other jobs with it.
    const targets = distillationSet(models, data.x, data.y, 0.8).y;
    const distilling = pool.train({ split, opts, k: 0, label: 'student', distill: { targets } }, { data, norm });
    // Pruning: zero |w| < lambda * max|w| per tensor of every member, then fine-tune with the masks held.
    const pruning = models.map((m, k) => pool.train({ split, opts: ft, k, label: `pruned ${k + 1}/${models.length}`, prune: { onnx: m.toOnnx(), lambda: opts.pruneLambda } }, { data, norm }));
    const pruned = (await Promise.all(pruning)).map((t) => t.model);
    await addVariant('pruned', rulToOnnx(pruned, opts.cap, { offset: opts.offset }), pruned, { sparsity: pruned.reduce((a, p) => a + sparsity(p), 0) / pruned.length });
    // Int8: the teacher's weights quantized per output channel (no retraining).
    await addVariant('int8', rulToOnnx(models, opts.cap, { int8: true, offset: opts.offset }), models);
    const { model: student } = await distilling;
    await addVariant('student', rulToOnnx(student, opts.cap, { offset: opts.offset }), [student]);
  }

  async function addVariant(name: string, bytes: Uint8Array, members: readonly Sequential[], extra: Partial<VariantFigures> = {}): Promise<void> {
    const dir = join(opts.out, 'variants', name);
    const m = buildManifest(bytes, draftFor(`${opts.id}-${name}`, {}, ''));
    const fig = { ...(await onnxFigures(name, bytes, m, split, members.reduce((a, s) => a + s.paramCount(), 0))), ...extra };
    writeModelDir(dir, bytes, variantDraft(draftFor(opts.id, {}, ''), name, { valRmse: fig.valRmse, valScorePer100: fig.valScorePer100 }));
    variants.push(fig);
    log(`${name}: ${bytes.length} bytes, validation RMSE ${fmt(fig.valRmse)}, score/100 engines ${fmt(fig.valScorePer100)}`);
  }

  const metrics = {
    ...(cv ? { cvRmse: cv.rmse.mean, cvRmseSd: cv.rmse.std, cvScorePer100: cv.scorePer100.mean, cvScorePer100Sd: cv.scorePer100.std, cvFolds: cv.folds.length } : {}),
    valRmse: base.valRmse,
    valScore: teacher.metrics.valScore,
    valScorePer100: base.valScorePer100,
    valRmseCappedTruth: teacher.metrics.valRmseCappedTruth,
    valScoreCappedTruthPer100: teacher.metrics.valScoreCappedTruthPer100,
    valEngines: teacher.metrics.valEngines,
    valCases: teacher.metrics.valCases,
    trainEngines: split.train.length,
    trainWindows: data.n,
    epochs: teacher.fit.history.length,
    bestEpoch: teacher.fit.bestEpoch,
    trainMinutes: Math.round((Date.now() - started) / 600) / 100,
  };
  const manifest = writeModelDir(opts.out, onnx, draftFor(opts.id, metrics, `Remaining useful life (cycles) of a turbofan from the last ${opts.window} cycles of 14 sensors; ${ensembleSize(opts) > 1 ? `${ensembleNote(opts)} averaged,` : opts.members === 1 ? '1-D CNN' : 'GRU'} trained on NASA C-MAPSS FD001`), rulCard(opts, metrics, variants, models, cv));
  return { manifest, variants, ...(cv ? { cv } : {}) };
}
