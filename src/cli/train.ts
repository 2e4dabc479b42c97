import type { Command } from 'commander';
import { ANOMALY_DEFAULTS } from '../ml/anomaly-model';
import { ANOMALY_MODEL_VERSION, runAnomalyPipeline } from '../ml/anomaly-pipeline';
import { fmt } from '../ml/model-card';
import { readFileSync, writeFileSync } from 'node:fs';
import { FatalError } from '../core/errors';
import { combineSeedRuns, crossValidateRul, cvAtOffset, cvOptionsKey, type CvFigures } from '../ml/rul-cv';
import { ensembleNote, GRU_WINDOW, memberWindowsNote, withGruWindow } from '../ml/rul-ensemble';
import { loadTrainEngines, RUL_DEFAULTS, type RulOptions } from '../ml/rul-model';
import { checkJobs, defaultJobs } from '../ml/member-pool';
import { cvLine } from '../ml/rul-card';
import { RUL_MODEL_VERSION, runRulPipeline } from '../ml/rul-pipeline';
import { modelManifest } from '../models/manifest';
import { unsignedNote } from './sign-model';

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

/** A comma-separated list of numbers, each passing `ok`; refused with `what` naming what was expected. */
function numberList(flag: string, text: string, ok: (v: number) => boolean, what: string): number[] {
  const v = text.split(',').map((x) => Number(x.trim()));
  if (v.some((x) => !ok(x))) throw new FatalError(flag, `expected ${what} separated by commas, got ${JSON.stringify(text)}`);
  return v;
}

interface CommonOpts {
  data?: string;
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
  modelVersion?: string;
}

function common(cmd: Command, defaults: { epochs: number; batchSize: number; lr: number; seed: number; window: number }, version: string): Command {
  return cmd
    .option('--data <dir>', 'data folder (never committed: ../shared/data/...); required except with --cv-combine')
    .option('--out <dir>', 'model directory to write (default models/<id>)')
    .option('--id <id>', 'model id')
    .option('--model-version <semver>', `version written into the manifests (default ${version}, the shipped model's)`)
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

/** --model-version, checked by the manifest's own rule before any training. */
function modelVersion(o: CommonOpts, shipped: string): string {
  if (o.modelVersion === undefined) return shipped;
  const r = modelManifest.shape.version.safeParse(o.modelVersion);
  if (!r.success) throw new FatalError('--model-version', `${r.error.issues[0]?.message ?? 'invalid'}, got ${JSON.stringify(o.modelVersion)}`);
  return r.data;
}

/** --data, which every mode but --cv-combine (saved figures only) reads. */
function dataDir(o: CommonOpts): string {
  if (o.data === undefined) throw new FatalError('--data', 'required: the data folder, e.g. --data ../shared/data/cmapss');
  return o.data;
}

function pick<T extends object>(opts: CommonOpts, defaults: T): T {
  const o: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const k of ['epochs', 'batchSize', 'lr', 'seed', 'window'] as const) if (opts[k] !== undefined) o[k] = opts[k];
  if (opts.minutes !== undefined) o.timeBudgetMs = opts.minutes * 60_000;
  return o as T;
}

/** RulOptions that `train rul` takes from a flag of the same name (the rest: RUL_DEFAULTS). */
const RUL_FLAGS = ['size', 'members', 'lateWeight', 'cap', 'offset', 'padFrom', 'bottleneck', 'kernel', 'filters', 'noise', 'huber', 'minLrFrac', 'smooth', 'scale', 'truncations', 'earlyStop', 'dropout', 'innerVal', 'gruMembers', 'gruUnits'] as const;

/** The options among `keys` given on the command line (commander leaves the others undefined). */
function given<T, K extends keyof T>(o: Partial<T>, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Saved cross-validation figures, refused unless they were made with the options of this run. */
function readCvFigures(file: string, opts: RulOptions): CvFigures {
  const cv = JSON.parse(readFileSync(file, 'utf8')) as CvFigures;
  const want = JSON.stringify(cvOptionsKey(opts));
  if (JSON.stringify(cv.options) !== want) throw new FatalError(file, `cross-validation figures were made with ${JSON.stringify(cv.options)}, this run uses ${want}`);
  return cvAtOffset(cv, opts.offset, opts.cap);
}

/** The model folder and its compressed variants' (the float32 entry is the model itself). */
function writtenDirs(out: string, variants: readonly { name: string }[]): string[] {
  return [out, ...variants.filter((v) => v.name !== 'float32').map((v) => `${out}/variants/${v.name}`)];
}

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function registerTrain(program: Command): void {
  const train = program.command('train').description('Train a shipped model from real data (TypeScript training, ONNX export, manifest and model card)');
  common(train.command('rul').description('RUL model on NASA C-MAPSS FD001 (train_FD001.txt)'), RUL_DEFAULTS, RUL_MODEL_VERSION)
    .option('--holdout <n>', 'final held-out engines (never used for choices)', int, RUL_DEFAULTS.holdout)
    .option('--cv <folds>', 'k-fold cross-validation over the other engines before the final model (0 = none)', int, 0)
    .option('--cv-only', 'only cross-validate (print per-fold figures; no model is written)')
    .option('--members <n>', `CNNs (the --size network) averaged in one graph (default ${RUL_DEFAULTS.members})`, int)
    .option('--gru-members <n>', `GRU networks averaged in the same graph after the --members CNNs, seeded from --seed like them (default ${RUL_DEFAULTS.gruMembers})`, int)
    .option('--gru-window <n>', `cycles the GRU networks read; the CNNs read the last --window of them (default ${GRU_WINDOW}; 0 or at most --window: they read --window like the CNNs; ignored with --windows)`, int)
    .option('--gru-units <n>', `state size of each GRU network (default ${RUL_DEFAULTS.gruUnits})`, int)
    .option('--late-weight <x>', `loss weight of late predictions (default ${RUL_DEFAULTS.lateWeight})`, num)
    .option('--size <size>', `network: student (the small CNN, also the distillation target) or teacher (the 17,673-parameter CNN) (default ${RUL_DEFAULTS.size})`)
    .option('--pad-from <n>', `also train on windows ending at cycle n.. (front-padded; default ${RUL_DEFAULTS.padFrom}; = window for full windows only)`, int)
    .option('--offset <x>', `cycles subtracted from the predicted RUL (default ${RUL_DEFAULTS.offset})`, num)
    .option('--cap <n>', `RUL cap of the piecewise-linear target (default ${RUL_DEFAULTS.cap})`, int)
    .option('--bottleneck <n>', `filters of the small network's second convolution (default ${RUL_DEFAULTS.bottleneck})`, int)
    .option('--kernel <n>', `kernel of the small network's first convolution, in cycles (default ${RUL_DEFAULTS.kernel})`, int)
    .option('--filters <n>', `filters of the small network's first convolution (default ${RUL_DEFAULTS.filters})`, int)
    .option('--noise <std>', `Gaussian input noise while training, in scaled-input units (z-score: standard deviations) (default ${RUL_DEFAULTS.noise})`, num)
    .option('--huber <cycles>', `Huber loss with this delta in cycles; 0 = squared error (default ${RUL_DEFAULTS.huber})`, num)
    .option('--min-lr-frac <x>', `final learning rate of the cosine schedule as a fraction of --lr (default ${RUL_DEFAULTS.minLrFrac})`, num)
    .option('--smooth <alpha>', `fixed exponential smoothing of the sensors over time inside the graph, y[t] = alpha x[t] + (1 - alpha) y[t-1]; 0 = off (default ${RUL_DEFAULTS.smooth})`, num)
    .option('--scale <kind>', `sensor scaling fitted on the training engines: zscore, or minmax (to [-1, 1]) (default ${RUL_DEFAULTS.scale})`)
    .option('--truncations <n>', `random truncations per held-out engine (default ${RUL_DEFAULTS.truncations})`, int)
    .option('--early-stop', 'early-stop on the held-out engines (then they are no longer unseen)')
    .option('--dropout <rate>', `dropout before the small network's dense head; 0 = none (default ${RUL_DEFAULTS.dropout})`, num)
    .option('--inner-val <n>', `early-stop (patience ${RUL_DEFAULTS.patience}, best epoch kept) on n engines set aside from the training engines (in --cv, from each fold's); 0 = off, fixed epochs (default ${RUL_DEFAULTS.innerVal})`, int)
    .option('--windows <list>', 'cycles each member reads, comma-separated (e.g. 50,60,70,80,90): one per member; the graph reads the longest, the others keep its last cycles (default: every member reads --window)')
    .option('--stretch <factors>', 'also train on each training engine replayed this many times slower or faster, comma-separated (e.g. 0.85,1.2; resampled by linear interpolation); default none')
    .option('--cv-out <file>', 'with --cv-only: write the cross-validation figures as JSON')
    .option('--cv-combine <files...>', 'instead of training: the cross-validation of a --members n [--gru-members m] ensemble from n CNN and m GRU saved single-network runs (--cv-out files), each family with consecutive seeds from the same first seed, written to --cv-out')
    .option('--jobs <n>', 'networks trained side by side, each in a worker thread; the result is the same for any n (default: one per core when run from the build, 1 from the TypeScript sources)', int)
    .option('--cv-from <file>', 'put these cross-validation figures (from --cv-only --cv-out with the same options) in the model card instead of re-running them')
    .action(async (o: CommonOpts & { holdout: number; cv: number; cvOnly?: boolean; members?: number; gruMembers?: number; gruUnits?: number; lateWeight?: number; cap?: number; offset?: number; padFrom?: number; size?: string; bottleneck?: number; kernel?: number; filters?: number; noise?: number; huber?: number; minLrFrac?: number; smooth?: number; scale?: string; truncations?: number; earlyStop?: boolean; dropout?: number; innerVal?: number; windows?: string; stretch?: string; cvOut?: string; cvFrom?: string; cvCombine?: string[]; jobs?: number; gruWindow?: number }) => {
      if (o.cvCombine) {
        if (!o.cvOut) throw new FatalError('--cv-combine', 'needs --cv-out <file> for the combined figures');
        const cv = combineSeedRuns(o.cvCombine.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CvFigures));
        writeFileSync(o.cvOut, `${JSON.stringify(cv, null, 2)}\n`);
        const key = cv.options;
        log(`${ensembleNote({ ...key, gruMembers: key.gruMembers ?? 0, gruUnits: key.gruUnits ?? RUL_DEFAULTS.gruUnits })}${memberWindowsNote({ memberWindows: key.memberWindows ?? [], window: key.window, gruMembers: key.gruMembers ?? 0 })}: ${cvLine(cv)}`);
        return;
      }
      const id = o.id ?? 'cmapss-rul';
      const version = modelVersion(o, RUL_MODEL_VERSION);
      const base = pick(o, RUL_DEFAULTS);
      if (o.size !== undefined && o.size !== 'teacher' && o.size !== 'student') throw new FatalError('--size', `expected teacher or student, got ${o.size}`);
      if (o.smooth !== undefined && !(o.smooth >= 0 && o.smooth <= 1)) throw new FatalError('--smooth', `expected an alpha in [0, 1] (0 = off), got ${o.smooth}`);
      if (o.scale !== undefined && o.scale !== 'zscore' && o.scale !== 'minmax') throw new FatalError('--scale', `expected zscore or minmax, got ${o.scale}`);
      if (o.dropout !== undefined && !(o.dropout >= 0 && o.dropout < 1)) throw new FatalError('--dropout', `expected a rate in [0, 1) (0 = none), got ${o.dropout}`);
      if (o.kernel !== undefined && !(Number.isInteger(o.kernel) && o.kernel >= 1)) throw new FatalError('--kernel', `expected a whole number of cycles >= 1, got ${o.kernel}`);
      if (o.filters !== undefined && !(Number.isInteger(o.filters) && o.filters >= 1)) throw new FatalError('--filters', `expected a whole number >= 1, got ${o.filters}`);
      for (const [flag, given] of [['--kernel', o.kernel], ['--filters', o.filters]] as const) {
        if (given !== undefined && o.size === 'teacher') throw new FatalError(flag, 'applies to the small network; the teacher has its own fixed convolutions (12 filters of 10 cycles three times, then 4 of 3)');
      }
      if (o.dropout && o.size === 'teacher') throw new FatalError('--dropout', 'applies to the small network; the teacher has its own fixed dropout of 0.3');
      for (const [flag, n, min] of [['--members', o.members, 0], ['--gru-members', o.gruMembers, 0], ['--gru-units', o.gruUnits, 1]] as const) {
        if (n !== undefined && !(Number.isInteger(n) && n >= min)) throw new FatalError(flag, `expected a whole number >= ${min}, got ${n}`);
      }
      if ((o.members ?? RUL_DEFAULTS.members) + (o.gruMembers ?? RUL_DEFAULTS.gruMembers) < 1) throw new FatalError('--members', 'the ensemble has no network: give --members or --gru-members at least 1');
      if (o.innerVal !== undefined && o.innerVal < 0) throw new FatalError('--inner-val', `expected a number of engines >= 0, got ${o.innerVal}`);
      if (o.innerVal && o.earlyStop) throw new FatalError('--inner-val', 'early-stops on its own engines; it cannot be combined with --early-stop (the held-out engines)');
      const rul: RulOptions = { ...base, ...given(o as Partial<RulOptions>, RUL_FLAGS), holdout: o.holdout, jobs: checkJobs(o.jobs ?? defaultJobs()) };
      if (o.gruWindow !== undefined && !(Number.isInteger(o.gruWindow) && o.gruWindow >= 0)) throw new FatalError('--gru-window', `expected a whole number of cycles (0: the GRUs read --window), got ${o.gruWindow}`);
      if (o.windows !== undefined) {
        const w = numberList('--windows', o.windows, (v) => Number.isInteger(v) && v > 0, 'whole numbers of cycles');
        Object.assign(rul, { memberWindows: w, members: o.members ?? w.length, window: o.window ?? Math.max(...w) });
      } else {
        // The shipped recipe: GRUs over --gru-window cycles, the CNNs over the last --window of them.
        Object.assign(rul, withGruWindow(rul, o.gruWindow ?? GRU_WINDOW));
      }
      // A factor of 1 would train on the engines twice; the bounds catch a slip (12 for 1.2) before a long run.
      if (o.stretch !== undefined) rul.stretch = numberList('--stretch', o.stretch, (v) => v >= 0.5 && v <= 2 && v !== 1, 'factors in [0.5, 2] other than 1');
      if (o.cvOnly) {
        const save = (cv: CvFigures): void => {
          if (o.cvOut) writeFileSync(o.cvOut, `${JSON.stringify(cv, null, 2)}\n`);
        };
        const cv = await crossValidateRul(loadTrainEngines(dataDir(o)), rul, o.cv || 4, log, save);
        log(cvLine(cv));
        for (const f of cv.offsets) log(`  offset ${f.offset}: pooled RMSE ${f.rmse.toFixed(2)}, PHM08 ${f.scorePer100.toFixed(1)} per 100 cases`);
        return;
      }
      const cvFigures = o.cvFrom ? readCvFigures(o.cvFrom, rul) : undefined;
      const r = await runRulPipeline({ ...rul, cvFolds: o.cv, ...(cvFigures ? { cvFigures } : {}), data: dataDir(o), out: o.out ?? `models/${id}`, id, version, compress: o.compress, pruneLambda: o.pruneLambda, fineTuneEpochs: o.fineTuneEpochs }, log);
      log(`wrote ${o.out ?? `models/${id}`}: validation RMSE ${fmt(r.manifest.metrics.valRmse!)}, PHM08 score ${fmt(r.manifest.metrics.valScore!)} over ${r.manifest.metrics.valCases} cases`);
      log(unsignedNote(writtenDirs(o.out ?? `models/${id}`, r.variants)));
    });
  common(train.command('anomaly').description('Anomaly model on SKAB (anomaly-free.csv + the anomaly-free start of each labelled file)'), ANOMALY_DEFAULTS, ANOMALY_MODEL_VERSION)
    .option('--calibration-rows <n>', 'rows at the start of each file used to standardize it', int, ANOMALY_DEFAULTS.calibrationRows)
    .option('--calibration-end <n>', 'rows calibration-rows..n of each labelled file set the score weights and the threshold (a fixed range: no label is read)', int, ANOMALY_DEFAULTS.calibrationEnd)
    .action(async (o: CommonOpts & { calibrationRows: number; calibrationEnd: number }) => {
      const id = o.id ?? 'skab-anomaly';
      const version = modelVersion(o, ANOMALY_MODEL_VERSION);
      if (!(o.calibrationEnd > o.calibrationRows)) throw new FatalError('--calibration-end', `must be after --calibration-rows ${o.calibrationRows}, got ${o.calibrationEnd}`);
      const r = await runAnomalyPipeline({ ...pick(o, ANOMALY_DEFAULTS), calibrationRows: o.calibrationRows, calibrationEnd: o.calibrationEnd, data: dataDir(o), out: o.out ?? `models/${id}`, id, version, compress: o.compress, pruneLambda: o.pruneLambda, fineTuneEpochs: o.fineTuneEpochs }, log);
      const m = r.manifest.metrics;
      log(`wrote ${o.out ?? `models/${id}`}: F1 ${fmt(m.f1!)}, FAR ${(m.far! * 100).toFixed(1)}%, MAR ${(m.mar! * 100).toFixed(1)}% over ${m.files} labelled files`);
      log(unsignedNote(writtenDirs(o.out ?? `models/${id}`, r.variants)));
    });
}
