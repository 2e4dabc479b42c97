import type { Command } from 'commander';
import { ANOMALY_DEFAULTS } from '../ml/anomaly-model';
import { runAnomalyPipeline } from '../ml/anomaly-pipeline';
import { fmt } from '../ml/model-card';
import { RUL_DEFAULTS } from '../ml/rul-model';
import { runRulPipeline } from '../ml/rul-pipeline';

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got ${v}`);
  return n;
};
const num = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got ${v}`);
  return n;
};

interface CommonOpts {
  data: string;
  out?: string;
  id?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  window?: number;
  compress: boolean;
  pruneLambda: number;
  fineTuneEpochs: number;
  minutes?: number;
}

function common(cmd: Command, defaults: { epochs: number; batchSize: number; lr: number; seed: number; window: number }): Command {
  return cmd
    .requiredOption('--data <dir>', 'data folder (never committed: ../shared/data/...)')
    .option('--out <dir>', 'model directory to write (default models/<id>)')
    .option('--id <id>', 'model id')
    .option('--epochs <n>', `maximum epochs (default ${defaults.epochs})`, int)
    .option('--batch-size <n>', `mini-batch size (default ${defaults.batchSize})`, int)
    .option('--lr <x>', `peak learning rate (default ${defaults.lr})`, num)
    .option('--seed <n>', `random seed (default ${defaults.seed})`, int)
    .option('--window <n>', `window length in rows/cycles (default ${defaults.window})`, int)
    .option('--no-compress', 'skip the pruned, int8 and distilled variants')
    .option('--prune-lambda <x>', 'magnitude pruning threshold as a fraction of max|w| per tensor', num, 0.1)
    .option('--fine-tune-epochs <n>', 'epochs of fine-tuning after pruning', int, 4)
    .option('--minutes <n>', 'stop training after this many minutes (the best epoch so far is kept)', num);
}

function pick<T extends object>(opts: CommonOpts, defaults: T): T {
  const o: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const k of ['epochs', 'batchSize', 'lr', 'seed', 'window'] as const) if (opts[k] !== undefined) o[k] = opts[k];
  if (opts.minutes !== undefined) o.timeBudgetMs = opts.minutes * 60_000;
  return o as T;
}

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function registerTrain(program: Command): void {
  const train = program.command('train').description('Train a shipped model from real data (TypeScript training, ONNX export, manifest and model card)');
  common(train.command('rul').description('RUL model on NASA C-MAPSS FD001 (train_FD001.txt)'), RUL_DEFAULTS)
    .option('--holdout <n>', 'engines held out for validation', int, RUL_DEFAULTS.holdout)
    .action(async (o: CommonOpts & { holdout: number }) => {
      const id = o.id ?? 'cmapss-rul';
      const r = await runRulPipeline({ ...pick(o, RUL_DEFAULTS), holdout: o.holdout, data: o.data, out: o.out ?? `models/${id}`, id, compress: o.compress, pruneLambda: o.pruneLambda, fineTuneEpochs: o.fineTuneEpochs }, log);
      log(`wrote ${o.out ?? `models/${id}`}: validation RMSE ${fmt(r.manifest.metrics.valRmse!)}, PHM08 score ${fmt(r.manifest.metrics.valScore!)} over ${r.manifest.metrics.valCases} cases`);
    });
  common(train.command('anomaly').description('Anomaly model on SKAB (anomaly-free.csv + the anomaly-free start of each labelled file)'), ANOMALY_DEFAULTS)
    .option('--calibration-rows <n>', 'rows at the start of each file used to standardize it', int, ANOMALY_DEFAULTS.calibrationRows)
    .action(async (o: CommonOpts & { calibrationRows: number }) => {
      const id = o.id ?? 'skab-anomaly';
      const r = await runAnomalyPipeline({ ...pick(o, ANOMALY_DEFAULTS), calibrationRows: o.calibrationRows, data: o.data, out: o.out ?? `models/${id}`, id, compress: o.compress, pruneLambda: o.pruneLambda, fineTuneEpochs: o.fineTuneEpochs }, log);
      const m = r.manifest.metrics;
      log(`wrote ${o.out ?? `models/${id}`}: F1 ${fmt(m.f1!)}, FAR ${(m.far! * 100).toFixed(1)}%, MAR ${(m.mar! * 100).toFixed(1)}% over ${m.files} labelled files`);
    });
}
