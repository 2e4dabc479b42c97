import type { Command } from 'commander';
import { evaluateAnomalyDir } from '../ml/evaluate-anomaly';
import { evaluateRulFiles } from '../ml/evaluate-rul';
import { fmt } from '../ml/model-card';
import { readModelDir } from '../ml/model-files';
import { shippedModelDir } from '../ml/shipped-models';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

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
      const r = await evaluateRulFiles(o.test, o.truth, onnx, manifest);
      if (o.json) return out(JSON.stringify({ model: manifest.id, engines: r.engines, rmse: r.rmse, score: r.score, padded: r.padded }));
      out(`model ${manifest.id} ${manifest.version} on ${o.test}`);
      out(`engines ${r.engines}${r.padded ? ` (${r.padded} shorter than the window, padded by repeating their first cycle)` : ''}`);
      out(`RMSE ${fmt(r.rmse)}`);
      out(`PHM08 score ${fmt(r.score)}`);
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
