import { join } from 'node:path';
import { CMAPSS_SENSORS, lastWindows, readCmapss, sensorRange, sensorStats, stretchEngine, trainingWindows, truncateLikeTest, type Engine } from './cmapss-data';
import type { LayerSpec } from './layers';
import { asymmetricMse, huber, mse, type Loss } from './losses';
import { FatalError } from '../core/errors';
import { capTruth, rmse, rulFigures } from './metrics';
import { OnnxGraphBuilder } from './onnx';
import { Rng } from './rng';
import { cosineLr } from './schedule';
import { Sequential } from './sequential';
import { fit, formatEpoch, type Dataset, type FitResult, type TrainHyperParams } from './trainer';

export interface Norm {
  mean: number[];
  std: number[];
}

export interface RulOptions extends TrainHyperParams {
  window: number;
  cap: number;
  /** Engines of train_FD001.txt held out for validation. */
  holdout: number;
  /** Random truncations per held-out engine (more = a steadier validation figure). */
  truncations: number;
  /** Use at most this many training engines (tests train on a few). */
  maxEngines?: number;
  /** Replaces the built-in CNN architecture (experiments, tests); the GRU members keep theirs. */
  arch?: LayerSpec[];
  /** Stop on (and keep the best epoch of) the held-out engines; off, the epochs are fixed and the last one is kept. */
  earlyStop: boolean;
  /** Late predictions (pred > true) weigh this many times an early one in the loss (1 = plain MSE). */
  lateWeight: number;
  /** Networks trained with seeds seed, seed+1, ... and averaged inside one ONNX graph. */
  members: number;
  /**
   * Cycles each member reads (one per member; empty: every member reads `window`). The graph's
   * input is the longest, `window`; a shorter member keeps its last cycles (a `last-steps` layer),
   * so member k is exactly the single network of `--window memberWindows[k] --seed seed+k`.
   */
  memberWindows: readonly number[];
  /**
   * Recurrent networks (a GRU of `gruUnits` over the window, then the CNN's dense head) added to
   * the ensemble after its `members` CNNs, seeded seed, seed+1, ... like the CNNs: GRU k is the
   * single network of `--members 0 --gru-members 1 --seed seed+k`. Their errors are less
   * correlated with the CNNs' than the CNNs' with each other (docs/models.md).
   */
  gruMembers: number;
  gruUnits: number;
  /** Also train on windows ending this early (front-padded like short test engines; the official test's shortest has 31 cycles). */
  padFrom: number;
  /** Cycles subtracted from the predicted RUL before clipping (an early bias: PHM08 punishes late predictions more). */
  offset: number;
  /** Filters of the small network's second convolution (what the dense head sees per cycle). */
  bottleneck: number;
  /** Kernel of the small network's first convolution, in cycles (9 up to 1.3.0). */
  kernel: number;
  /** Filters of the small network's first convolution (8 up to 1.3.0). */
  filters: number;
  /** Std of the Gaussian noise added to the z-scored inputs while training. */
  noise: number;
  /** Huber loss with this delta in cycles (0 = squared error). */
  huber: number;
  /** Final learning rate of the cosine schedule, as a fraction of the peak. */
  minLrFrac: number;
  /** Alpha of the fixed exponential smoothing over time in front of the network (0 = none). */
  smooth: number;
  /** Dropout rate before the small network's dense head (0 = none; the teacher keeps its fixed 0.3). */
  dropout: number;
  /**
   * Training engines set aside to early-stop on (0 = off): the last `innerVal` of the training
   * engines, truncated like the test set; the run keeps its best epoch on them (patience
   * `patience`), never looking at the held-out engines.
   */
  innerVal: number;
  /**
   * Time-stretch factors: the training set also holds each training engine resampled to `factor`
   * times its length (see stretchEngine); empty = none. The scaling is fitted on the engines as recorded.
   */
  stretch: readonly number[];
  /** Sensor scaling fitted on the training engines: z-score, or min-max to [-1, 1] (both ship as the manifest's offset/scale `zscore`). */
  scale: 'zscore' | 'minmax';
  /**
   * Seeds the engine shuffle (final held-out set, folds) and the truncations; `seed` seeds the
   * networks and the training order only, so another seed keeps the held-out engines out.
   */
  splitSeed: number;
  /**
   * Networks trained side by side, each in a worker thread (1: one after the other in this
   * thread). Not part of the result: a network is the same wherever it trains.
   */
  jobs: number;
}

export const RUL_DEFAULTS: RulOptions = {
  // 30 is the literature's usual window; 40 and 50 did better in the first model's (tuned-on)
  // validation. Fixed 30 epochs, padded windows from cycle 31, the small network, no early
  // bias and the Huber loss come from the 4-fold cross-validation (docs/models.md).
  window: 50,
  cap: 125,
  holdout: 20,
  truncations: 10,
  epochs: 30,
  batchSize: 128,
  lr: 2e-3,
  weightDecay: 1e-4,
  patience: 8,
  seed: 42,
  size: 'student',
  earlyStop: false,
  lateWeight: 1,
  // 1.3.0: five networks (seeds 42-46) averaged in the graph. A single network's figure
  // depends strongly on its seed; the average gains ~1 RMSE over a typical seed (docs/models.md).
  members: 5,
  memberWindows: [],
  // 1.4.0: five GRUs beside the five CNNs. Alone they score like the CNNs (14.26 against 14.48 over
  // seeds 42-46), but their errors are less correlated with the CNNs' than the CNNs' with each
  // other, so the ten average to 13.79 against 14.19 for the five CNNs, better on every fold (docs/models.md).
  // Since 1.5.0 the CLI has them read 80 cycles (GRU_WINDOW, withGruWindow in rul-ensemble.ts).
  gruMembers: 5,
  gruUnits: 32,
  offset: 0,
  padFrom: 31,
  bottleneck: 2,
  kernel: 9,
  filters: 8,
  // 0.08 in [-1, 1] units is about 0.3 standard deviations, averaged over the sensors (their
  // FD001 range is ~7.7 std): the z-score recipe's noise.
  noise: 0.08,
  // Huber (delta 5 cycles) beat MSE on every fold with the same initialization (1.2.0).
  huber: 5,
  minLrFrac: 0.01,
  smooth: 0,
  dropout: 0,
  innerVal: 0,
  stretch: [],
  // 1.3.0: min-max to [-1, 1] beat the z-score on every seed but 42 (docs/models.md).
  scale: 'minmax',
  // The split of every shipped model and cross-validation so far (it used to follow `seed`).
  splitSeed: 42,
  // The CLI's default is one per core (defaultJobs); library callers and tests train in their thread.
  jobs: 1,
};

/**
 * 1-D CNN over a [window, 14] slice, after Li, Ding & Sun's DCNN (2018): stacked long-kernel
 * convolutions over time, flattened into a small dense head. Differences, each from a run that
 * did better on our validation engines: leaky ReLU (a one-filter ReLU layer died), 4 filters
 * before the flatten, and Gaussian input noise (every variant without it overfitted the 80
 * training engines within a few epochs). The student is the distillation target.
 */
export type RulArchOptions = Pick<RulOptions, 'noise' | 'bottleneck' | 'smooth' | 'dropout' | 'kernel' | 'filters'>;

export function rulArchitecture(size: 'teacher' | 'student', o: Partial<RulArchOptions> = {}): LayerSpec[] {
  const { noise, bottleneck, smooth, dropout, kernel, filters } = { ...RUL_DEFAULTS, ...o };
  const net = size === 'student' ? cnn([[filters, kernel], [bottleneck, 3]], 16, noise, dropout > 0 ? dropout : undefined) : cnn([[12, 10], [12, 10], [12, 10], [4, 3]], 64, noise, 0.3);
  return withSmoothing(smooth, net);
}

/** Input noise, a GRU's last state, the small CNN's dense head (after the optional smoothing, as the CNN). */
export function gruArchitecture(o: Partial<Pick<RulOptions, 'noise' | 'smooth' | 'gruUnits'>> = {}): LayerSpec[] {
  const { noise, smooth, gruUnits } = { ...RUL_DEFAULTS, ...o };
  return withSmoothing(smooth, [{ type: 'gaussian-noise', std: noise }, { type: 'gru', units: gruUnits }, ...denseHead(16)]);
}

const LEAKY: LayerSpec = { type: 'activation', fn: 'leaky-relu', alpha: 0.1 };

/** What every RUL network ends with: `units` leaky-ReLU units, then one output (RUL / cap). */
function denseHead(units: number): LayerSpec[] {
  return [{ type: 'dense', units }, LEAKY, { type: 'dense', units: 1 }];
}

/**
 * The smoothing comes before the input noise: the network sees smoothed sensors plus noise in
 * training, and the same smoothed sensors (without noise) in the graph.
 */
function withSmoothing(smooth: number, net: LayerSpec[]): LayerSpec[] {
  return smooth > 0 ? [{ type: 'exp-smooth', alpha: smooth }, ...net] : net;
}

/** Input noise, leaky-ReLU convolutions ([filters, kernel] each), flatten, optional dropout, a dense head. */
function cnn(convs: ReadonlyArray<readonly [number, number]>, units: number, noise: number, dropout?: number): LayerSpec[] {
  return [
    { type: 'gaussian-noise', std: noise },
    ...convs.flatMap(([filters, kernel]): LayerSpec[] => [{ type: 'conv1d', filters, kernel }, LEAKY]),
    { type: 'flatten' },
    ...(dropout !== undefined ? [{ type: 'dropout', rate: dropout } as const] : []),
    ...denseHead(units),
  ];
}

/** The official protocol on a set of (possibly truncated) engines: one prediction per engine at its last cycle. */
export function predictLast(model: Sequential | readonly Sequential[], engines: readonly Engine[], norm: Norm, window: number, cap: number, offset = 0): number[] {
  return predictRaw(model, engines, norm, window, cap).map((v) => clipRul(v - offset, cap));
}

export const clipRul = (v: number, cap: number): number => Math.min(cap, Math.max(0, v));

/** The ensemble's mean RUL in cycles before offset and clipping (same order as the graph). */
export function predictRaw(model: Sequential | readonly Sequential[], engines: readonly Engine[], norm: Norm, window: number, cap: number): number[] {
  const models = Array.isArray(model) ? model : [model as Sequential];
  const x = lastWindows(engines, window, norm);
  const sum = new Float64Array(engines.length);
  for (const m of models) {
    const p = m.predict(x);
    for (let i = 0; i < p.length; i++) sum[i]! += p[i]!;
  }
  return Array.from(sum, (v) => (v / models.length) * cap);
}

export interface RulSplit {
  train: Engine[];
  /** The final held-out engines: the last `holdout` of the seeded shuffle, never used for choices. */
  heldOut: Engine[];
  /** Truncated engines shown as progress and, with early stopping, stopped on: the held-out ones, or `inner` when set. */
  stop: { engines: Engine[]; rul: number[] };
  /** Training engines set aside for early stopping (`withInnerVal`); they are in neither `train` nor `heldOut`. */
  inner?: Engine[];
  /** Other truncations of the same engines, used only for the reported figures. */
  report: { engines: Engine[]; rul: number[] };
}

export function splitEngines(all: readonly Engine[], opts: Pick<RulOptions, 'holdout' | 'truncations' | 'splitSeed' | 'maxEngines'>): RulSplit {
  const rng = new Rng(opts.splitSeed);
  const order = rng.shuffle(Array.from(all, (_, i) => i));
  // The final held-out engines come last in the order, so that the cross-validation folds over
  // the training engines (rul-cv.ts) keep the same seeded order.
  const heldOut = order.slice(order.length - opts.holdout).map((i) => all[i]!);
  const pool = order.slice(0, order.length - opts.holdout);
  const train = pool.slice(0, opts.maxEngines ?? pool.length).map((i) => all[i]!);
  return cutSplit(train, heldOut, opts, rng);
}

/** `n` random truncations of every engine, cut the way the official test set was (true RUL in [7, 145]). */
function truncations(engines: readonly Engine[], n: number, rng: Rng): { engines: Engine[]; rul: number[] } {
  const out: Engine[] = [];
  const rul: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = truncateLikeTest(engines, rng);
    out.push(...t.engines);
    rul.push(...t.rul);
  }
  return { engines: out, rul };
}

/** Training engines plus truncated copies of the held-out ones (early stopping / progress, and the report). */
export function cutSplit(train: Engine[], heldOut: Engine[], opts: Pick<RulOptions, 'truncations'>, rng: Rng): RulSplit {
  return { train, heldOut, stop: truncations(heldOut, Math.max(1, Math.ceil(opts.truncations / 2)), rng.fork()), report: truncations(heldOut, opts.truncations, rng.fork()) };
}

/**
 * With `innerVal` > 0, the split's last `innerVal` training engines leave the training set and
 * become the early-stopping set (`stop`: `truncations` random cuts of each); the held-out engines
 * and their report are untouched, so early stopping never sees them. Off (0): the split as is.
 */
export function withInnerVal(split: RulSplit, opts: Pick<RulOptions, 'innerVal' | 'truncations' | 'splitSeed'>): RulSplit {
  const n = opts.innerVal;
  if (n <= 0) return split;
  if (!Number.isInteger(n) || n >= split.train.length) throw new FatalError('--inner-val', `expected a whole number of engines below the ${split.train.length} training engines, got ${n}`);
  const inner = split.train.slice(split.train.length - n);
  // Its own stream, so the held-out engines' truncations stay those of the runs without it.
  const stop = truncations(inner, opts.truncations, new Rng(opts.splitSeed * 1000 + 999));
  return { ...split, train: split.train.slice(0, split.train.length - n), inner, stop };
}

export interface RulResult {
  /** One network per ensemble member; the shipped graph averages them. */
  models: Sequential[];
  norm: Norm;
  data: Dataset;
  fit: FitResult;
  /** Milliseconds its networks spent training, summed over the members (wherever and however many at a time they ran). */
  trainMs: number;
  /** valRmseCappedTruth / valScoreCappedTruthPer100: the same cases against the true RUL capped at `cap` (see capTruth). */
  metrics: { valRmse: number; valScore: number; valScorePer100: number; valRmseCappedTruth: number; valScoreCappedTruthPer100: number; valEngines: number; valCases: number; trainWindows: number; epochs: number };
}

/** Training windows of the split (targets scaled to RUL / cap) and the z-score they were built with. */
export function rulDataset(split: RulSplit, opts: Pick<RulOptions, 'window' | 'cap' | 'padFrom'> & Partial<Pick<RulOptions, 'scale' | 'stretch'>>): { data: Dataset; norm: Norm } {
  const norm = opts.scale === 'minmax' ? sensorRange(split.train) : sensorStats(split.train);
  const engines = [...split.train, ...(opts.stretch ?? []).flatMap((f) => split.train.map((e) => stretchEngine(e, f)))];
  const data = trainingWindows(engines, opts.window, opts.cap, norm, Math.min(opts.window, opts.padFrom));
  for (let i = 0; i < data.n; i++) data.y[i] = data.y[i]! / opts.cap;
  return { data, norm };
}

/**
 * Fits `model` on `data`. The split's `stop` cases are shown as progress; with `earlyStop` (the
 * held-out engines: then they are no longer unseen) or an inner validation set (`withInnerVal`)
 * they also stop the run and pick the kept epoch.
 */
export function fitRul(model: Sequential, data: Dataset, split: RulSplit, norm: Norm, opts: RulOptions, log: (line: string) => void, extra: { afterStep?: (m: Sequential) => void; seed?: number } = {}): FitResult {
  const early = opts.earlyStop || split.inner !== undefined;
  return fit(model, data, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    loss: rulLoss(opts),
    schedule: cosineLr({ lr: opts.lr, minLr: opts.lr * opts.minLrFrac, epochs: opts.epochs, warmupEpochs: 1 }),
    optimizer: { weightDecay: opts.weightDecay, clipNorm: 5 },
    seed: extra.seed ?? opts.seed,
    validate: (m) => rmse(predictLast(m, split.stop.engines, norm, opts.window, opts.cap, opts.offset), split.stop.rul),
    valName: 'val-rmse',
    keepBest: early,
    ...(early ? { patience: opts.patience } : {}),
    ...(opts.timeBudgetMs !== undefined ? { timeBudgetMs: opts.timeBudgetMs } : {}),
    ...(extra.afterStep ? { afterStep: extra.afterStep } : {}),
    onEpoch: (r) => log(formatEpoch(r)),
  });
}

/** The training loss on targets scaled to RUL / cap (the Huber delta is given in cycles). */
export function rulLoss(opts: Pick<RulOptions, 'lateWeight' | 'huber' | 'cap'>): Loss {
  if (opts.huber > 0 && opts.lateWeight !== 1) throw new FatalError('--huber', 'the Huber loss (default delta 5 cycles) and --late-weight cannot be combined: add --huber 0');
  if (opts.huber > 0) return huber(opts.huber / opts.cap);
  return opts.lateWeight === 1 ? mse : asymmetricMse(opts.lateWeight);
}

/** Cycles member k reads: its entry of memberWindows, else the window. */
export function memberWindow(opts: Pick<RulOptions, 'window'> & Partial<Pick<RulOptions, 'memberWindows'>>, k: number): number {
  return opts.memberWindows?.[k] ?? opts.window;
}

/** Networks in the ensemble: the CNNs, then the GRUs. */
export function ensembleSize(opts: Pick<RulOptions, 'members'> & Partial<Pick<RulOptions, 'gruMembers'>>): number {
  return opts.members + (opts.gruMembers ?? 0);
}

/**
 * Member k of the ensemble: a CNN (k < members) that reads the last memberWindow(k) cycles, or a
 * GRU after them that reads the whole window; each family is seeded seed, seed + 1, ... in its
 * turn (initial weights, noise and batch order), so member k is a single run of its seed.
 */
export function memberPlan(opts: Pick<RulOptions, 'window' | 'seed' | 'members'> & Partial<Pick<RulOptions, 'memberWindows'>>, k: number): { gru: boolean; seed: number; window: number } {
  const gru = k >= opts.members;
  return { gru, seed: opts.seed + (gru ? k - opts.members : k), window: gru ? opts.window : memberWindow(opts, k) };
}

/** A network of the ensemble (see memberPlan), with its own parameter names. */
export function rulMember(opts: Pick<RulOptions, 'arch' | 'size' | 'window' | 'seed' | 'noise' | 'bottleneck' | 'smooth' | 'members'> & Partial<Pick<RulOptions, 'dropout' | 'memberWindows' | 'kernel' | 'filters' | 'gruUnits'>>, k: number): Sequential {
  const { gru, seed, window: w } = memberPlan(opts, k);
  const net = gru ? gruArchitecture(opts) : (opts.arch ?? rulArchitecture(opts.size, opts));
  const specs: LayerSpec[] = w < opts.window ? [{ type: 'last-steps', steps: w }, ...net] : net;
  return new Sequential(specs, [opts.window, CMAPSS_SENSORS.length], { seed, namePrefix: `m${k}_` });
}

/** The distillation student: the small CNN over the graph's whole window, seeded seed + 1 (its own stream, not member 1's). */
export function rulStudent(opts: Pick<RulOptions, 'window' | 'seed'> & Partial<RulArchOptions>): Sequential {
  return new Sequential(rulArchitecture('student', opts), [opts.window, CMAPSS_SENSORS.length], { seed: opts.seed + 1 });
}

export function evaluateRul(model: Sequential | readonly Sequential[], split: RulSplit, norm: Norm, opts: Pick<RulOptions, 'window' | 'cap' | 'offset'>, trainWindows = 0, epochs = 0): RulResult['metrics'] {
  const pred = predictLast(model, split.report.engines, norm, opts.window, opts.cap, opts.offset);
  const given = rulFigures(pred, split.report.rul);
  const capped = rulFigures(pred, capTruth(split.report.rul, opts.cap));
  return {
    valRmse: given.rmse,
    valScore: given.score,
    valScorePer100: (given.score * 100) / pred.length,
    valRmseCappedTruth: capped.rmse,
    valScoreCappedTruthPer100: (capped.score * 100) / pred.length,
    valEngines: split.heldOut.length,
    valCases: pred.length,
    trainWindows,
    epochs,
  };
}

/** Metadata of an ensemble graph: its member count, and each member's layers when they differ. */
export const META_MEMBERS = 'pdm-gateway.members';
export const META_MEMBER_LAYERS = 'pdm-gateway.member-layers';

/**
 * The shipped graph: input `x` [N, window, 14] (z-scored by the pipeline), output `rul` [N, 1]
 * in cycles: the network predicts RUL / cap, the graph scales it back and clips it to [0, cap]
 * so that the manifest's output range always holds.
 */
export function rulToOnnx(model: Sequential | readonly Sequential[], cap: number, opts: { int8?: boolean; offset?: number; metadata?: Record<string, string> } = {}): Uint8Array {
  const models = Array.isArray(model) ? model : [model as Sequential];
  const first = models[0]!;
  const g = new OnnxGraphBuilder('cmapss_rul');
  g.input('x', [-1, ...first.inShape]);
  const ys = models.map((m) => m.exportInto(g, { name: 'x', layout: 'NTC' }, { int8: opts.int8 ?? false }).name);
  // An ensemble is averaged inside the graph, so the gateway runs one model.
  const y = ys.length === 1 ? ys[0]! : g.op('Mean', ys);
  const scaled = g.op('Mul', [y, g.floats('cap', [cap], [])]);
  const shifted = opts.offset ? g.op('Sub', [scaled, g.floats('offset', [opts.offset], [])]) : scaled;
  g.node('Clip', [shifted, g.floats('rul_min', [0], []), g.floats('rul_max', [cap], [])], ['rul']);
  g.output('rul', [-1, 1]);
  const members = models.length > 1 ? { [META_MEMBERS]: String(models.length) } : {};
  // The file's layer metadata is the first member's; members of other layers (GRUs, other windows) are listed each.
  const specs = models.map((m) => JSON.stringify(m.specs));
  const memberLayers = specs.some((s) => s !== specs[0]) ? { [META_MEMBER_LAYERS]: `[${specs.join(',')}]` } : {};
  return g.toModelBytes({ opset: 17, producer: 'pdm-gateway', metadata: { ...first.metadata(), ...members, ...memberLayers, ...(opts.metadata ?? {}) } });
}

export function loadTrainEngines(dataDir: string): Engine[] {
  return readCmapss(join(dataDir, 'train_FD001.txt'));
}
