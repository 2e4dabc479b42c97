import type { Engine } from './cmapss-data';
import { Rng } from './rng';
import { FatalError } from '../core/errors';
import { capTruth, rulFigures } from './metrics';
import { MemberPool } from './member-pool';
import { clipRul, cutSplit, evaluateRul, predictRaw, RUL_DEFAULTS, splitEngines, withInnerVal, type RulOptions } from './rul-model';
import { trainRul } from './rul-train';

/** One fold's figures on its held-out engines, each cut at `truncations` random cycles. */
export interface FoldFigures {
  fold: number;
  trainEngines: number;
  valEngines: number;
  /** Unit numbers of the fold's held-out engines. */
  valUnits: number[];
  /** With an inner validation set: its engines' unit numbers (taken from the fold's training engines) and the epoch kept. */
  innerUnits?: number[];
  bestEpoch?: number;
  cases: number;
  rmse: number;
  scorePer100: number;
  /** Minutes the fold's networks spent training, summed over them (the same whether they trained side by side or not). */
  minutes: number;
  /** The first network alone, when the ensemble has several (what one member would score). */
  firstMember?: { rmse: number; scorePer100: number };
  /** Per case: the ensemble's RUL before offset and clipping, and the true RUL. */
  raw: number[];
  truth: number[];
}

export interface CvFigures {
  /** Folds the engines were divided into (the run may have stopped before doing them all). */
  foldsPlanned: number;
  folds: FoldFigures[];
  rmse: { mean: number; std: number };
  scorePer100: { mean: number; std: number };
  /** RMSE and score over every fold's cases pooled together. */
  pooledRmse: number;
  pooledScorePer100: number;
  /** Pooled figures against the true RUL capped at the training cap (see capTruth; absent from files written before it). */
  cappedTruth?: { cap: number; rmse: number; scorePer100: number };
  /** Pooled figures had the prediction been shifted by further cycles (choosing the early bias). */
  offsets: Array<{ offset: number; rmse: number; scorePer100: number }>;
  /** The options that produced these figures (the final model must be trained with the same). */
  options: CvOptionsKey;
}

/** The options a cross-validation result depends on (not the offset: cvAtOffset reads any offset from the saved predictions); `smooth` only when on, `scale` only when minmax and `splitSeed` only when not the shipped 42, so older figures still match. */
export type CvOptionsKey = Pick<RulOptions, 'window' | 'cap' | 'holdout' | 'truncations' | 'epochs' | 'batchSize' | 'lr' | 'weightDecay' | 'seed' | 'size' | 'lateWeight' | 'members' | 'padFrom' | 'bottleneck' | 'noise' | 'huber' | 'minLrFrac'> & Partial<Pick<RulOptions, 'smooth' | 'splitSeed' | 'scale' | 'dropout' | 'innerVal' | 'patience' | 'memberWindows' | 'kernel' | 'filters' | 'stretch' | 'gruMembers' | 'gruUnits'>>;

export function cvOptionsKey(o: RulOptions): CvOptionsKey {
  return { window: o.window, cap: o.cap, holdout: o.holdout, truncations: o.truncations, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, weightDecay: o.weightDecay, seed: o.seed, size: o.size, lateWeight: o.lateWeight, members: o.members, padFrom: o.padFrom, bottleneck: o.bottleneck, noise: o.noise, huber: o.huber, minLrFrac: o.minLrFrac, ...(o.memberWindows.length ? { memberWindows: [...o.memberWindows] } : {}), ...(o.smooth ? { smooth: o.smooth } : {}), ...(o.dropout ? { dropout: o.dropout } : {}), ...(o.innerVal ? { innerVal: o.innerVal, patience: o.patience } : {}), ...(o.scale === 'minmax' ? { scale: o.scale } : {}), ...(o.kernel !== 9 ? { kernel: o.kernel } : {}), ...(o.filters !== 8 ? { filters: o.filters } : {}), ...(o.stretch.length ? { stretch: [...o.stretch] } : {}), ...(o.gruMembers > 0 ? { gruMembers: o.gruMembers, gruUnits: o.gruUnits } : {}), ...(o.splitSeed !== RUL_DEFAULTS.splitSeed ? { splitSeed: o.splitSeed } : {}) };
}

/** The options behind saved figures: a key without `memberWindows`, `smooth`, `dropout`, `innerVal`, `scale`, `splitSeed`, `kernel`, `filters`, `stretch` or `gruMembers` means one window, off, off, off, z-score, 42, 9, 8, none, no GRU (whatever the defaults are now). */
function optionsOf(key: CvOptionsKey): RulOptions {
  return { ...RUL_DEFAULTS, memberWindows: [], smooth: 0, dropout: 0, innerVal: 0, scale: 'zscore', splitSeed: 42, kernel: 9, filters: 8, stretch: [], gruMembers: 0, ...key };
}

const SHIFTS = [-4, -2, 0, 2, 4, 6, 8, 10];

function meanStd(v: readonly number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std };
}

/**
 * k-fold cross-validation over the training engines of `splitEngines` (the final held-out
 * engines are never touched): fold k holds out engines [k*n/folds, (k+1)*n/folds) of the seeded
 * order, trains on the others with `opts` and predicts once per engine at each truncation, as
 * the official test does. Training does not early-stop on the fold (opts.earlyStop is forced
 * off; `innerVal` stops on engines set aside from the fold's training ones), so a fold's figure is
 * unseen by the run that produced it; the choices made by comparing
 * these figures are what cross-validation is for.
 */
export async function crossValidateRul(all: readonly Engine[], opts: RulOptions, folds: number, log: (line: string) => void = () => undefined, onFold?: (soFar: CvFigures) => void): Promise<CvFigures> {
  const engines = splitEngines(all, opts).train;
  const pool = new MemberPool(opts.jobs, log);
  // Every fold's networks are queued at once, so that side by side the pool never idles between folds; results are read in fold order.
  const runs = Array.from({ length: folds }, (_, k) => {
    const lo = Math.floor((k * engines.length) / folds);
    const hi = Math.floor(((k + 1) * engines.length) / folds);
    const val = engines.slice(lo, hi);
    const train = [...engines.slice(0, lo), ...engines.slice(hi)];
    // An inner validation set comes out of this fold's training engines only.
    const split = withInnerVal(cutSplit(train, val, opts, new Rng(opts.splitSeed * 1000 + k)), opts);
    const result = trainRul(split, { ...opts, earlyStop: false }, log, pool, `fold ${k + 1}/${folds}, `);
    // Read (and its failure reported) in fold order below; no unhandled rejection meanwhile.
    result.catch(() => undefined);
    return { split, val, result };
  });
  const out: FoldFigures[] = [];
  for (const [k, { split, val, result }] of runs.entries()) {
    const r = await result;
    const m = r.metrics;
    const raw = predictRaw(r.models, split.report.engines, r.norm, opts.window, opts.cap);
    const f: FoldFigures = { fold: k, trainEngines: split.train.length, ...(split.inner ? { innerUnits: split.inner.map((e) => e.unit), bestEpoch: r.fit.bestEpoch } : {}), valEngines: val.length, valUnits: val.map((e) => e.unit), cases: m.valCases, rmse: m.valRmse, scorePer100: m.valScorePer100, minutes: r.trainMs / 60_000, raw, truth: split.report.rul };
    if (r.models.length > 1) {
      const one = evaluateRul(r.models[0]!, split, r.norm, opts);
      f.firstMember = { rmse: one.valRmse, scorePer100: one.valScorePer100 };
      log(`fold ${k + 1}/${folds}, first member alone: RMSE ${one.valRmse.toFixed(2)}, PHM08 ${one.valScorePer100.toFixed(1)} per 100 cases`);
    }
    out.push(f);
    log(`fold ${k + 1}/${folds}: RMSE ${f.rmse.toFixed(2)}, PHM08 ${f.scorePer100.toFixed(1)} per 100 cases (${f.cases} cases, ${f.minutes.toFixed(1)} min)`);
    onFold?.(summarize(folds, out, opts));
  }
  return summarize(folds, out, opts);
}

/** RMSE and PHM08 per 100 cases of raw network outputs read at an early-bias offset and clipped to [0, cap]. */
function scoreAt(raw: readonly number[], truth: readonly number[], offset: number, cap: number): { rmse: number; scorePer100: number } {
  const pred = raw.map((v) => clipRul(v - offset, cap));
  const { rmse, score } = rulFigures(pred, truth);
  return { rmse, scorePer100: (score * 100) / pred.length };
}

/** Figures over the folds done so far (a long run can be stopped and still report what it measured). */
function summarize(foldsPlanned: number, out: FoldFigures[], opts: RulOptions): CvFigures {
  const raw = out.flatMap((f) => f.raw);
  const truth = out.flatMap((f) => f.truth);
  const offsets = SHIFTS.map((d) => ({ offset: opts.offset + d, ...scoreAt(raw, truth, opts.offset + d, opts.cap) }));
  const pooled = scoreAt(raw, truth, opts.offset, opts.cap);
  const capped = scoreAt(raw, capTruth(truth, opts.cap), opts.offset, opts.cap);
  return {
    foldsPlanned,
    folds: [...out],
    offsets,
    rmse: meanStd(out.map((f) => f.rmse)),
    scorePer100: meanStd(out.map((f) => f.scorePer100)),
    pooledRmse: pooled.rmse,
    pooledScorePer100: pooled.scorePer100,
    cappedTruth: { cap: opts.cap, ...capped },
    options: cvOptionsKey(opts),
  };
}

/**
 * The cross-validation of an ensemble from saved single-network runs with otherwise the same
 * options: CNN runs (`--members 1`) with seeds seed, seed+1, ... and GRU runs (`--members 0
 * --gru-members 1`) with seeds seed, seed+1, ... Member k of `--members n --gru-members m --seed s`
 * is the CNN of `--seed s+k`, and member n+k the GRU of `--seed s+k` (same initial weights,
 * noise and batch order; the folds and truncations follow splitSeed), and the graph averages the
 * members' outputs, so the ensemble's per-case predictions are the mean of the runs'. CNN runs of
 * different windows (each at least padFrom) make a mixed-window ensemble: member k reads the last
 * `window` cycles of run k (see RulOptions.memberWindows). Refuses runs that do not fit together.
 */
export function combineSeedRuns(runs: readonly CvFigures[]): CvFigures {
  const fail = (msg: string): never => {
    throw new FatalError('--cv-combine', msg);
  };
  if (runs.length < 2) fail(`expected at least 2 cross-validation files, got ${runs.length}`);
  const isGru = (r: CvFigures): boolean => (r.options.gruMembers ?? 0) > 0;
  const bySeed = (a: CvFigures, b: CvFigures): number => a.options.seed - b.options.seed;
  const cnns = runs.filter((r) => !isGru(r)).sort(bySeed);
  const grus = runs.filter(isGru).sort(bySeed);
  // The graph's member order: the CNNs, then the GRUs.
  const sorted = [...cnns, ...grus];
  const first = sorted[0]!;
  const seed = first.options.seed;
  // Options that must agree across the runs (the families' own counts and units apart); keys sorted, as a GRU run's key orders them otherwise.
  const rest = (o: CvOptionsKey): string => {
    const v: Record<string, unknown> = { ...o, seed: 0, window: 0, members: 0, gruMembers: 0, gruUnits: 0 };
    return JSON.stringify(v, Object.keys(v).sort());
  };
  for (const [family, group] of [['CNN', cnns], ['GRU', grus]] as const) {
    group.forEach((r, k) => {
      if (r.options.members + (r.options.gruMembers ?? 0) !== 1) fail(`run with seed ${r.options.seed} has ${r.options.members + (r.options.gruMembers ?? 0)} networks; combine single-network runs`);
      if (r.options.memberWindows) fail(`run with seed ${r.options.seed} is itself a mixed-window ensemble; combine single-network runs`);
      if (r.options.seed !== seed + k) fail(`each family's seeds must run on from ${seed} (member k has seed + k), got ${family} seeds ${group.map((x) => x.options.seed).join(', ')}`);
    });
  }
  if (grus.some((r) => r.options.gruUnits !== grus[0]!.options.gruUnits)) fail(`the GRU runs have different units: ${grus.map((r) => r.options.gruUnits).join(', ')}`);
  sorted.forEach((r) => {
    if (rest(r.options) !== rest(first.options)) fail(`run with seed ${r.options.seed} was made with other options: ${JSON.stringify(r.options)} vs ${JSON.stringify(first.options)}`);
    if (r.folds.length !== first.folds.length || r.folds.some((f, i) => JSON.stringify(f.truth) !== JSON.stringify(first.folds[i]!.truth))) fail(`run with seed ${r.options.seed} has other folds or truncations`);
  });
  const folds = first.folds.map((f, i): FoldFigures => {
    const raw = f.raw.map((_, j) => sorted.reduce((a, r) => a + r.folds[i]!.raw[j]!, 0) / sorted.length);
    return { ...f, raw, ...scoreAt(raw, f.truth, RUL_DEFAULTS.offset, first.options.cap), minutes: sorted.reduce((a, r) => a + r.folds[i]!.minutes, 0), firstMember: { rmse: f.rmse, scorePer100: f.scorePer100 } };
  });
  const windows = cnns.map((r) => r.options.window);
  const longest = Math.max(...sorted.map((r) => r.options.window));
  const mixed = windows.some((w) => w !== longest);
  const shortGru = grus.find((r) => r.options.window !== longest);
  if (shortGru) fail(`GRU run with seed ${shortGru.options.seed} reads ${shortGru.options.window} cycles; a GRU reads the ensemble's whole window (${longest})`);
  const short = cnns.find((r) => r.options.window < r.options.padFrom);
  if (mixed && short) fail(`run with seed ${short.options.seed} reads ${short.options.window} cycles, fewer than --pad-from (${short.options.padFrom}): it cannot join a mixed-window ensemble`);
  const gru = grus.length > 0 ? { gruMembers: grus.length, gruUnits: grus[0]!.options.gruUnits ?? RUL_DEFAULTS.gruUnits } : {};
  return summarize(first.foldsPlanned, folds, { ...optionsOf(first.options), seed, members: cnns.length, ...gru, ...(mixed ? { window: longest, memberWindows: windows } : {}) });
}

/**
 * The same cross-validation read at another early-bias offset: the offset only shifts the
 * output, so the saved per-case predictions give every fold's figures without retraining.
 */
export function cvAtOffset(cv: CvFigures, offset: number, cap: number): CvFigures {
  const folds = cv.folds.map((f) => ({ ...f, ...scoreAt(f.raw, f.truth, offset, cap) }));
  return summarize(cv.foldsPlanned, folds, { ...optionsOf(cv.options), offset, cap });
}
