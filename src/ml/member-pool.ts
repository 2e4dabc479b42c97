import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { FatalError } from '../core/errors';
import { applyMasks, magnitudePrune, sparsity } from './prune';
import { ensembleSize, fitRul, memberPlan, rulDataset, rulMember, rulStudent, type Norm, type RulOptions, type RulSplit } from './rul-model';
import { Sequential } from './sequential';
import type { FArray } from './tensor';
import type { Dataset, FitResult } from './trainer';

/** One network to fit: member k of the ensemble of `opts` on `split`, or (with `prune`) a trained network pruned and fine-tuned. */
export interface MemberTask {
  split: RulSplit;
  opts: RulOptions;
  k: number;
  /** Names the task in log lines when networks train side by side ('fold 2/4, member 3/10'). */
  label: string;
  /** Instead of training member k from scratch: prune this network (`toOnnx` bytes) at lambda * max|w| per tensor and fine-tune it with `opts`, the masks held. */
  prune?: { onnx: Uint8Array; lambda: number };
  /**
   * Instead of member k: the distilled student (rulStudent) fitted to these targets, one per
   * training window of the split (distillationSet's y).
   */
  distill?: { targets: FArray };
}

/** The training windows of a task's split (`rulDataset`): built once per split in this thread, once per task in a worker. */
export interface Prepared {
  data: Dataset;
  norm: Norm;
}

export interface Trained {
  model: Sequential;
  fit: FitResult;
}

type FromWorker = { type: 'log'; line: string } | { type: 'done'; weights: FArray[]; fit: FitResult };

/** The network a task starts from: member k's initial weights, the trained network to prune, or the student's. */
function startingNetwork(task: MemberTask): Sequential {
  if (task.prune) return Sequential.fromOnnx(task.prune.onnx);
  if (task.distill) return rulStudent(task.opts);
  return rulMember(task.opts, task.k);
}

/** Fits one task's network in this thread (the pool's jobs = 1, and the worker's whole job). */
export function runTask(task: MemberTask, prepared: Prepared, log: (line: string) => void): Trained {
  const { split, opts } = task;
  const { data, norm } = prepared;
  const model = startingNetwork(task);
  if (task.prune) {
    const masks = magnitudePrune(model, task.prune.lambda);
    log(`pruned at lambda ${task.prune.lambda}: sparsity ${(sparsity(model) * 100).toFixed(1)}%; fine-tuning ${opts.epochs} epochs`);
    const fit = fitRul(model, data, split, norm, opts, log, { afterStep: () => applyMasks(masks) });
    applyMasks(masks);
    return { model, fit };
  }
  if (task.distill) {
    const { targets } = task.distill;
    if (targets.length !== data.n) throw new FatalError(task.label, `${targets.length} distillation targets for ${data.n} training windows`);
    log(`distilling into a student of ${model.paramCount()} parameters`);
    return { model, fit: fitRul(model, { x: data.x, y: targets, n: data.n }, split, norm, opts, log) };
  }
  const plan = memberPlan(opts, task.k);
  const inner = split.inner ? `; early stopping on ${split.inner.length} of the training engines` : '';
  log(`training ${plan.gru ? `gru ${opts.gruUnits}` : opts.size} ${task.k + 1}/${ensembleSize(opts)} (${model.paramCount()} parameters) on ${split.train.length} engines, ${data.n} windows of ${plan.window} cycles; held out: ${split.heldOut.length} engines${inner}`);
  return { model, fit: fitRul(model, data, split, norm, opts, log, { seed: plan.seed }) };
}

const WORKER = 'member-worker.js';

/**
 * The worker's script: the compiled one beside this module, or, when this module runs from its
 * TypeScript source (ts-jest), the build's copy (a worker cannot run TypeScript).
 */
function workerScript(): string {
  const here = join(__dirname, WORKER);
  if (existsSync(here)) return here;
  const built = join(__dirname, '..', '..', 'dist', 'src', 'ml', WORKER);
  if (existsSync(built)) return built;
  throw new FatalError('--jobs', `training networks side by side runs ${here}, which is not built: run npm run build, or give --jobs 1`);
}

/** Networks trained side by side by default: one per core when running compiled, else 1 (see workerScript). */
export function defaultJobs(): number {
  return existsSync(join(__dirname, WORKER)) ? availableParallelism() : 1;
}

/** Refuses a --jobs that is not a whole number >= 1 (the CLI checks it before reading any data). */
export function checkJobs(jobs: number): number {
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new FatalError('--jobs', `expected a whole number of networks >= 1, got ${jobs}`);
  return jobs;
}

/**
 * Fits networks `jobs` at a time. With jobs = 1 each runs in this thread, one per event-loop
 * turn (so a cross-validation reports each fold as it ends); above 1 each runs in a worker
 * thread of its own: training is single-threaded JavaScript, so this is what puts the second
 * core to work. A task's result does not depend on where it ran (same code, same seeds; the
 * tests compare the ONNX files byte for byte).
 */
export class MemberPool {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    readonly jobs: number,
    private readonly log: (line: string) => void,
  ) {
    checkJobs(jobs);
  }

  /** Queues a task; `prepared` (its split's windows) saves rebuilding them when it runs in this thread. */
  train(task: MemberTask, prepared?: Prepared): Promise<Trained> {
    return new Promise<Trained>((resolve, reject) => {
      this.queue.push(() => {
        this.running++;
        const run = this.jobs > 1 ? this.inWorker(task) : this.inThread(task, prepared);
        run.then(resolve, reject).finally(() => {
          this.running--;
          this.next();
        });
      });
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.jobs && this.queue.length > 0) this.queue.shift()!();
  }

  private inThread(task: MemberTask, prepared: Prepared | undefined): Promise<Trained> {
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(runTask(task, prepared ?? rulDataset(task.split, task.opts), this.log));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
  }

  private inWorker(task: MemberTask): Promise<Trained> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerScript(), { workerData: task });
      let out: Trained | undefined;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'log') {
          this.log(`[${task.label}] ${m.line}`);
          return;
        }
        const model = startingNetwork(task);
        model.restore(m.weights);
        out = { model, fit: m.fit };
      });
      worker.on('error', reject);
      worker.on('exit', (code) => (out ? resolve(out) : reject(new Error(`the worker training ${task.label} stopped (exit code ${code}) before returning its network`))));
    });
  }
}
