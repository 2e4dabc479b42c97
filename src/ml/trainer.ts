import { LossBuffer, type Loss } from './losses';
import { AdamW, type AdamWOptions } from './optimizer';
import { Rng } from './rng';
import type { LrSchedule } from './schedule';
import type { Sequential } from './sequential';
import { alloc, sizeOf, type FArray } from './tensor';

/** Hyper-parameters every training command shares (RUL and anomaly models). */
export interface TrainHyperParams {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  patience: number;
  seed: number;
  size: 'teacher' | 'student';
  timeBudgetMs?: number;
}

/** Samples stored back to back: x is n * size(inShape), y is n * size(outShape). */
export interface Dataset {
  x: FArray;
  y: FArray;
  n: number;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  loss: number;
  lr: number;
  /** Validation metric (lower is better), when a validation function is given. */
  val?: number;
  valName?: string;
  bestVal?: number;
  bestEpoch?: number;
  elapsedMs: number;
  /** Estimated time left at the current pace, for the remaining epochs. */
  etaMs: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  loss: Loss;
  schedule: LrSchedule;
  optimizer?: Omit<AdamWOptions, 'lr'>;
  seed?: number;
  /** Validation metric computed after each epoch (lower is better): drives early stopping and the kept weights. */
  validate?: (model: Sequential) => number;
  valName?: string;
  /** Restore the best epoch's weights at the end (default true); false keeps the last epoch's. */
  keepBest?: boolean;
  /** Stop when the validation metric has not improved for this many epochs. */
  patience?: number;
  /** Stop after the epoch that crosses this wall-clock budget. */
  timeBudgetMs?: number;
  /** Called after each optimizer step (pruning re-applies its masks here). */
  afterStep?: (model: Sequential) => void;
  onEpoch?: (r: EpochReport) => void;
}

export interface FitResult {
  history: EpochReport[];
  bestEpoch: number;
  bestVal: number | undefined;
  stoppedEarly: boolean;
  elapsedMs: number;
}

/**
 * Mini-batch training with AdamW, a learning-rate schedule, early stopping on a validation
 * metric and restoration of the best epoch's weights. Batches are gathered into reused buffers,
 * so an epoch allocates nothing per sample.
 */
export function fit(model: Sequential, data: Dataset, opts: FitOptions): FitResult {
  const inSize = sizeOf(model.inShape);
  const outSize = sizeOf(model.outShape);
  if (data.x.length !== data.n * inSize) throw new Error(`training data: x holds ${data.x.length} values, expected ${data.n} samples x ${inSize}`);
  if (data.y.length !== data.n * outSize) throw new Error(`training data: y holds ${data.y.length} values, expected ${data.n} samples x ${outSize}`);
  const rng = new Rng(opts.seed ?? 1);
  const opt = new AdamW(model.params(), { ...opts.optimizer, lr: opts.schedule.at(0, 0) });
  const bs = Math.min(opts.batchSize, data.n);
  const bx = alloc(model.dtype, bs * inSize);
  const by = alloc(model.dtype, bs * outSize);
  const lossBuf = new LossBuffer(model.dtype);
  const order = new Uint32Array(data.n).map((_, i) => i);
  const start = Date.now();
  const history: EpochReport[] = [];
  let best: FArray[] | undefined;
  let bestVal: number | undefined;
  let bestEpoch = -1;
  let stoppedEarly = false;
  const steps = Math.ceil(data.n / bs);

  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    rng.shuffle(order);
    let lossSum = 0;
    let seen = 0;
    for (let s = 0; s < steps; s++) {
      const b = Math.min(bs, data.n - s * bs);
      for (let i = 0; i < b; i++) {
        const k = order[s * bs + i]!;
        bx.set(data.x.subarray(k * inSize, (k + 1) * inSize), i * inSize);
        by.set(data.y.subarray(k * outSize, (k + 1) * outSize), i * outSize);
      }
      const xs = b === bs ? bx : bx.subarray(0, b * inSize);
      const ys = b === bs ? by : by.subarray(0, b * outSize);
      const pred = model.forward({ data: xs, shape: [b, ...model.inShape] }, true);
      const grad = lossBuf.grad(pred.data.length);
      const loss = opts.loss.compute(pred.data, ys, grad);
      if (!Number.isFinite(loss)) throw new Error(`training diverged at epoch ${epoch + 1}, step ${s + 1}: loss is ${loss}`);
      lossSum += loss * b;
      seen += b;
      model.backward({ data: grad, shape: pred.shape });
      opt.lr = opts.schedule.at(epoch, s / steps);
      opt.step();
      opts.afterStep?.(model);
    }
    const report: EpochReport = { epoch: epoch + 1, epochs: opts.epochs, loss: lossSum / seen, lr: opt.lr, elapsedMs: 0, etaMs: 0 };
    if (opts.validate) {
      const val = opts.validate(model);
      report.val = val;
      report.valName = opts.valName ?? 'val';
      if (bestVal === undefined || val < bestVal) {
        bestVal = val;
        bestEpoch = epoch + 1;
        best = model.snapshot();
      }
      report.bestVal = bestVal;
      report.bestEpoch = bestEpoch;
    }
    const elapsed = Date.now() - start;
    report.elapsedMs = elapsed;
    report.etaMs = (elapsed / (epoch + 1)) * (opts.epochs - epoch - 1);
    history.push(report);
    opts.onEpoch?.(report);
    if (opts.patience !== undefined && bestEpoch >= 0 && epoch + 1 - bestEpoch >= opts.patience) {
      stoppedEarly = true;
      break;
    }
    if (opts.timeBudgetMs !== undefined && elapsed > opts.timeBudgetMs) {
      stoppedEarly = true;
      break;
    }
  }
  if (best && opts.keepBest !== false) model.restore(best);
  return { history, bestEpoch, bestVal, stoppedEarly, elapsedMs: Date.now() - start };
}

function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** One progress line: `epoch 3/40  loss 0.0123  val-rmse 14.20 (best 13.90 @2)  lr 1.0e-3  0:45 elapsed, ~3:10 left`. */
export function formatEpoch(r: EpochReport): string {
  const val = r.val !== undefined ? `  ${r.valName} ${r.val.toFixed(4)} (best ${r.bestVal!.toFixed(4)} @${r.bestEpoch})` : '';
  return `epoch ${r.epoch}/${r.epochs}  loss ${r.loss.toPrecision(4)}${val}  lr ${r.lr.toExponential(1)}  ${clock(r.elapsedMs)} elapsed, ~${clock(r.etaMs)} left`;
}
