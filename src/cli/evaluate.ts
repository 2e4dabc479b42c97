import type { Command } from 'commander';
import { evaluateAnomalyDir } from '../ml/evaluate-anomaly';
import { evaluateRulFiles, evaluateRulHeldOut, heldOutSplitOf, type RulEvaluation } from '../ml/evaluate-rul';
import { RUL_DEFAULTS } from '../ml/rul-model';
import { cappedTruthCaption } from '../ml/metrics';
import { fmt } from '../ml/model-card';
import { readModelDir } from '../ml/model-files';
import { shippedModelDir } from '../ml/shipped-models';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

/** The RUL figures as text (or one JSON object): the protocol's, then against capped truth. */
function printRul(r: RulEvaluation, title: string, model: string, json?: boolean): void {
  if (json) return out(JSON.stringify({ model, engines: r.engines, rmse: r.rmse, score: r.score, padded: r.padded, ...(r.cappedTruth ? { cappedTruth: r.cappedTruth } : {}) }));
  out(title);
  out(`engines ${r.engines}${r.padded ? ` (${r.padded} shorter than the window, padded by repeating their first cycle)` : ''}`);
  out(`RMSE ${fmt(r.rmse)}`);
  out(`PHM08 score ${fmt(r.score)}`);
  const c = r.cappedTruth;
  if (c) out(`${cappedTruthCaption(c.cap)}: RMSE ${fmt(c.rmse)}, PHM08 score ${fmt(c.score)}`);
}

export function registerEvaluate(program: Command): void {
  const evaluate = program.command('evaluate').description('Score a shipped model (its ONNX file, in onnxruntime) on benchmark files in their original format');
  evaluate
    .command('rul')
    .description('C-MAPSS test protocol: one prediction per engine at its last cycle; prints RMSE and the PHM08 score')
    .requiredOption('--test <file>', 'test_FD001.txt (official format, unchanged)')
    .requiredOption('--truth <file>', 'RUL_FD001.txt (one true RUL per engine)')
    .requiredOption('--model <dir>', 'model directory (manifest.json + model.onnx)')
    .option('--json', 'print one JSON object instead of text')
    .action(async (o: { test: string; truth: string; model: string; json?: boolean }) => {
      const { manifest, onnx } = readModelDir(o.model);
      printRul(await evaluateRulFiles(o.test, o.truth, onnx, manifest), `model ${manifest.id} ${manifest.version} on ${o.test}`, manifest.id, o.json);
    });
  evaluate
    .command('rul-held-out')
    .description("The training run's final held-out engines of train_FD001.txt, cut at the same random cycles: re-measures the model card's held-out figure from the ONNX file")
    .requiredOption('--data <dir>', 'folder holding train_FD001.txt')
    .option('--model <dir>', "model directory (manifest.json + model.onnx) (default: the package's models/cmapss-rul)")
    .option('--holdout <n>', "held-out engines of the training run (default: the manifest's valEngines, else 20)", (v) => Number(v))
    .option('--truncations <n>', "random truncations per held-out engine (default: the manifest's valCases / valEngines, else 10)", (v) => Number(v))
    .option('--split-seed <n>', `seed of the engine shuffle and truncations (default ${RUL_DEFAULTS.splitSeed})`, (v) => Number(v))
    .option('--history <n>', 'keep only the last n cycles of each engine (front-padded as short engines are): the model right after its window restarted, e.g. after a gateway restart (default: all)', (v) => Number(v))
    .option('--json', 'print one JSON object instead of text')
    .action(async (o: { data: string; model?: string; holdout?: number; truncations?: number; splitSeed?: number; history?: number; json?: boolean }) => {
      const { manifest, onnx } = readModelDir(o.model ?? shippedModelDir('cmapss-rul'));
      const recordedSplit = heldOutSplitOf(manifest);
      const split = { holdout: o.holdout ?? recordedSplit.holdout, truncations: o.truncations ?? recordedSplit.truncations, splitSeed: o.splitSeed ?? recordedSplit.splitSeed };
      const r = await evaluateRulHeldOut(o.data, onnx, manifest, split, o.history === undefined ? {} : { history: o.history });
      const recorded = manifest.metrics.valRmse;
      const history = o.history === undefined ? '' : `, each engine's last ${o.history} cycles only`;
      printRul(r, `model ${manifest.id} ${manifest.version}: ${split.holdout} held-out engines x ${split.truncations} truncations (split seed ${split.splitSeed})${history}${recorded !== undefined ? `; the manifest records RMSE ${fmt(recorded)} over ${manifest.metrics.valCases ?? '?'} cases with all cycles` : ''}`, manifest.id, o.json);
    });
  evaluate
    .command('anomaly')
    .description('SKAB outlier protocol: point-wise F1, FAR and MAR over every labelled CSV under a folder')
    .requiredOption('--data <dir>', 'folder of SKAB CSVs (searched recursively; unlabelled files are skipped)')
    .option('--model <dir>', "model directory (manifest.json + model.onnx) (default: the package's models/skab-anomaly)")
    .option('--calibration-rows <n>', "standardize each file with its first N rows (0 = the manifest's reference z-score; default: the manifest's baseline frames)", (v) => Number(v))
    .option('--threshold <x>', "override the manifest's thresholds.anomaly", (v) => Number(v))
    .option('--json', 'print one JSON object instead of text')
    .action(async (o: { data: string; model?: string; calibrationRows?: number; threshold?: number; json?: boolean }) => {
      const { manifest, onnx } = readModelDir(o.model ?? shippedModelDir('skab-anomaly'));
      const r = await evaluateAnomalyDir(o.data, onnx, manifest, { ...(o.calibrationRows !== undefined ? { calibrationRows: o.calibrationRows } : {}), ...(o.threshold !== undefined ? { threshold: o.threshold } : {}) });
      if (o.json) return out(JSON.stringify({ model: manifest.id, files: r.files.length, skipped: r.skipped, ...r.total }));
      out(`model ${manifest.id} ${manifest.version} on ${o.data} (${o.calibrationRows === 0 ? "manifest's reference z-score" : `each file standardized by its first ${o.calibrationRows ?? 'baseline'} rows`})`);
      for (const f of r.files) out(`  ${f.file.padEnd(24)} F1 ${fmt(f.f1)}  FAR ${pct(f.far)}  MAR ${pct(f.mar)}`);
      if (r.skipped.length) out(`skipped (no anomaly column): ${r.skipped.join(', ')}`);
      out(`files ${r.files.length}, points ${r.total.tp + r.total.fp + r.total.tn + r.total.fn}`);
      out(`F1 ${fmt(r.total.f1)}  FAR ${pct(r.total.far)}  MAR ${pct(r.total.mar)}`);
    });
}
