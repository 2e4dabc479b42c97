import type { LoadedModel } from './runner';

/** One window in a batch: it writes its own rows, and hears back its score or the run's error. */
export interface BatchRequest {
  /**
   * Writes the window's values for model input `input` into `into` at `at` (rowSize(input)
   * values); throws (a ScoreError) when the window cannot fill it.
   */
  fill(input: number, into: Float32Array, at: number): void;
  deliver(value: number): void;
  fail(error: unknown): void;
}

export interface BatchStats {
  batches: number;
  windows: number;
  maxBatchSeen: number;
  /** Most runs of one batcher in flight at once (2 when its session has a thread of its own). */
  runsInFlightPeak: number;
  /** Milliseconds from handing a batch to the session until it returned, summed. */
  runMsTotal: number;
}

export function newBatchStats(): BatchStats {
  return { batches: 0, windows: 0, maxBatchSeen: 0, runsInFlightPeak: 0, runMsTotal: 0 };
}

/**
 * Collects windows of every asset bound to one model version and runs them together: a batch
 * goes out on the next turn of the event loop, or at once when it is full. While a run is in
 * flight only full batches go out, up to `runsInFlight` runs (2 when the session has a thread
 * of its own, so it finds the next batch waiting when one ends; 1 in this thread, where a run
 * blocks anyway); anything less waits, so load raises the batch size rather than the number of
 * runs.
 *
 * Windows write their rows straight into the input tensor of the batch being filled (no row
 * array per window, no copy per batch; buffers come from the model, shared memory when its
 * session runs in a worker thread). Queued windows fill one block of batch-sized buffers after
 * another, so a backlog is never copied when a batch leaves (copying what stayed queued made each
 * batch cost in proportion to the backlog, slowest exactly when behind). Each run owns its block
 * until it returns; a request
 * hears back through its own methods (no promise per window). When a run in a worker thread
 * returns, the next batch is handed to it before this one's windows are delivered: delivering runs
 * health and emits on this thread, and the worker would sit idle meanwhile.
 */
export class Batcher {
  private queue: BatchRequest[] = [];
  /** Runs in flight, and the windows in them. */
  private running = 0;
  private runningWindows = 0;
  private scheduled = false;
  private waiters: (() => void)[] = [];
  private readonly max: number;
  private readonly runsInFlight: number;
  private readonly sizes: number[];
  /**
   * Blocks of input buffers for the queued windows, in queue order: queued window q is row
   * q % max of block floor(q / max) (row r of input i at r * sizes[i]).
   */
  private staged: Block[] = [];
  /** Blocks no run and no queued window holds, the last one freed on top (still in the CPU cache). */
  private free: Block[] = [];
  private readonly pumpSoon = (): void => {
    this.scheduled = false;
    this.pump();
  };

  /** `stats` may be shared by many batchers (the service keeps one total across versions). */
  constructor(readonly model: LoadedModel, maxBatch: number, readonly stats: BatchStats = newBatchStats()) {
    this.max = Math.max(1, Math.min(maxBatch, model.fixedBatch ?? Infinity));
    this.runsInFlight = model.thread === 'worker' ? 2 : 1;
    this.sizes = model.manifest.inputs.map((_, i) => model.rowSize(i));
  }

  /**
   * Queues a window: its rows are written at once (so the window need not outlive this call
   * unless it is re-queued); throws what fill() throws, and then nothing is queued.
   */
  enqueue(r: BatchRequest): void {
    const q = this.queue.length;
    const row = q % this.max;
    const b = (q - row) / this.max;
    if (b === this.staged.length) this.staged.push(this.free.pop() ?? this.allocate());
    const block = this.staged[b] as Block;
    for (let i = 0; i < this.sizes.length; i++) r.fill(i, block[i] as Float32Array, row * (this.sizes[i] as number));
    this.queue.push(r);
    if (this.queue.length >= this.max) this.pump();
    else if (this.running === 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.pumpSoon);
    }
  }

  /** enqueue() for rows already assembled (one per input). */
  submit(rows: readonly Float32Array[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.enqueue({ fill: (i, into, at) => into.set(rows[i], at), deliver: resolve, fail: reject });
    });
  }

  /** Windows queued or being scored. */
  pending(): number {
    return this.queue.length + this.runningWindows;
  }

  /** Resolves when nothing is queued or running. */
  drained(): Promise<void> {
    if (this.pending() === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** Starts the runs that may start: any batch when none runs, else full ones up to the limit. */
  private pump(): void {
    while (this.queue.length > 0 && (this.running === 0 || (this.running < this.runsInFlight && this.queue.length >= this.max))) {
      this.start();
    }
  }

  private start(): void {
    // a batch is a whole block: full, or the last one holding every window still queued
    const n = Math.min(this.queue.length, this.max);
    const batch = this.queue.splice(0, n);
    const set = this.staged.shift() as Block;
    this.running++;
    this.runningWindows += n;
    if (this.running > this.stats.runsInFlightPeak) this.stats.runsInFlightPeak = this.running;
    const t0 = performance.now();
    const inputs = set.map((v, i) => v.subarray(0, n * this.sizes[i]));
    this.model.run(inputs, n).then(
      (values) => this.finish(batch, set, t0, values, undefined),
      (e: unknown) => this.finish(batch, set, t0, undefined, e),
    );
  }

  private finish(batch: BatchRequest[], set: Block, t0: number, values: Float64Array | undefined, error: unknown): void {
    this.running--;
    this.runningWindows -= batch.length;
    this.stats.batches++;
    this.stats.windows += batch.length;
    this.stats.maxBatchSeen = Math.max(this.stats.maxBatchSeen, batch.length);
    this.stats.runMsTotal += performance.now() - t0;
    // on top of the free blocks: the next window fills the buffers just run (still in the CPU
    // cache; when nothing queued meanwhile the session keeps seeing one input address, as in a plain loop)
    this.recycle(set);
    // A session in a thread of its own gets its next batch first; in this thread a run blocks, and
    // starting it first would only hold these windows back by its duration.
    const early = this.runsInFlight > 1;
    if (early) this.pump();
    if (values) for (let b = 0; b < batch.length; b++) batch[b].deliver(values[b]);
    else for (const r of batch) r.fail(error);
    if (!early) this.pump();
    if (this.pending() === 0) for (const w of this.waiters.splice(0)) w();
  }

  /** Keeps a block for reuse; beyond a few (a backlog's), the GC takes them. */
  private recycle(s: Block): void {
    if (this.free.length < this.runsInFlight + FREE_BLOCKS_KEPT) this.free.push(s);
  }

  private allocate(): Block {
    return this.sizes.map((s) => this.model.alloc(s * this.max));
  }
}

/** Free blocks kept beyond one per run in flight: a short backlog reuses them instead of allocating. */
const FREE_BLOCKS_KEPT = 4;

/** Input buffers with room for one batch, one per model input. */
type Block = readonly Float32Array[];
