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
  runMsTotal: number;
}

export function newBatchStats(): BatchStats {
  return { batches: 0, windows: 0, maxBatchSeen: 0, runMsTotal: 0 };
}

/**
 * Collects windows of every asset bound to one model version and runs them together: a batch
 * goes out on the next turn of the event loop, or at once when it is full; while a run is in
 * flight the next batch fills up (one run at a time per session, so load raises the batch size
 * instead of the number of concurrent runs).
 *
 * Windows write their rows straight into the input tensor of the batch being filled (no row
 * array per window, no copy per batch; buffers come from the model, shared memory when its
 * session runs in a worker thread); two sets of buffers alternate between the batch in
 * flight and the one filling, and a request hears back through its own methods (no promise
 * per window).
 */
export class Batcher {
  private queue: BatchRequest[] = [];
  private running = false;
  private scheduled = false;
  private waiters: (() => void)[] = [];
  private readonly max: number;
  private readonly sizes: number[];
  /** Input buffers of the batch filling: row r of input i at r * sizes[i]; room for `capacity` rows. */
  private staged: Float32Array[];
  private capacity: number;
  /** The buffers of the last batch run (free again once it returned) and their room in rows. */
  private spare: Float32Array[] | undefined;
  private spareCapacity = 0;
  private readonly flushNow = (): void => {
    this.scheduled = false;
    void this.flush();
  };

  /** `stats` may be shared by many batchers (the service keeps one total across versions). */
  constructor(readonly model: LoadedModel, maxBatch: number, readonly stats: BatchStats = newBatchStats()) {
    this.max = Math.max(1, Math.min(maxBatch, model.fixedBatch ?? Infinity));
    this.sizes = model.manifest.inputs.map((_, i) => model.rowSize(i));
    this.capacity = this.max;
    this.staged = this.sizes.map((s) => model.alloc(s * this.capacity));
  }

  /**
   * Queues a window: its rows are written at once (so the window need not outlive this call
   * unless it is re-queued); throws what fill() throws, and then nothing is queued.
   */
  enqueue(r: BatchRequest): void {
    const row = this.queue.length;
    if (row === this.capacity) this.grow();
    for (let i = 0; i < this.sizes.length; i++) r.fill(i, this.staged[i], row * this.sizes[i]);
    this.queue.push(r);
    if (this.running) return;
    if (this.queue.length >= this.max) void this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
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
    return this.queue.length + (this.running ? 1 : 0);
  }

  /** Resolves when nothing is queued or running. */
  drained(): Promise<void> {
    if (this.pending() === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  private async flush(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const n = Math.min(this.queue.length, this.max);
    const batch = this.queue.splice(0, n);
    const buffers = this.staged;
    const bufferCapacity = this.capacity;
    const inputs = this.take(n);
    const t0 = performance.now();
    try {
      const values = await this.model.run(inputs, n);
      for (let b = 0; b < n; b++) batch[b].deliver(values[b]);
    } catch (e) {
      for (const r of batch) r.fail(e);
    } finally {
      this.stats.batches++;
      this.stats.windows += n;
      this.stats.maxBatchSeen = Math.max(this.stats.maxBatchSeen, n);
      this.stats.runMsTotal += performance.now() - t0;
      this.running = false;
    }
    if (this.queue.length === 0 && bufferCapacity >= this.capacity) {
      // Nothing came in meanwhile: fill the buffers just run again (still in the CPU cache; the
      // session keeps seeing one input address, as in a plain loop).
      this.spare = this.staged;
      this.spareCapacity = this.capacity;
      this.staged = buffers;
      this.capacity = bufferCapacity;
    } else {
      this.spare = buffers;
      this.spareCapacity = bufferCapacity;
    }
    if (this.queue.length > 0) void this.flush();
    else for (const w of this.waiters.splice(0)) w();
  }

  /**
   * The first n staged rows as the batch's inputs. Staging moves on to the spare buffers (or new
   * ones), with the rows still queued beyond n copied to their start.
   */
  private take(n: number): Float32Array[] {
    const full = this.staged;
    const left = this.queue.length;
    let next = this.spare;
    let room = this.spareCapacity;
    if (!next || room < left || room < this.max) {
      room = Math.max(this.max, left);
      next = this.sizes.map((s) => this.model.alloc(s * room));
    }
    this.spare = undefined;
    for (let i = 0; i < this.sizes.length && left > 0; i++) next[i].set(full[i].subarray(n * this.sizes[i], (n + left) * this.sizes[i]));
    this.staged = next;
    this.capacity = room;
    return full.map((v, i) => v.subarray(0, n * this.sizes[i]));
  }

  /** Doubles the staging (more windows queued than a batch holds while a run is in flight). */
  private grow(): void {
    this.capacity *= 2;
    this.staged = this.staged.map((v, i) => {
      const bigger = this.model.alloc(this.sizes[i] * this.capacity);
      bigger.set(v);
      return bigger;
    });
  }
}
