import type { LoadedModel } from './runner';

interface Request {
  readonly rows: readonly Float32Array[];
  readonly resolve: (v: number) => void;
  readonly reject: (e: unknown) => void;
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
 */
export class Batcher {
  private queue: Request[] = [];
  private running = false;
  private scheduled = false;
  private waiters: (() => void)[] = [];
  private readonly max: number;

  /** `stats` may be shared by many batchers (the service keeps one total across versions). */
  constructor(readonly model: LoadedModel, maxBatch: number, readonly stats: BatchStats = newBatchStats()) {
    this.max = Math.max(1, Math.min(maxBatch, model.fixedBatch ?? Infinity));
  }

  submit(rows: readonly Float32Array[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      if (this.running) return;
      if (this.queue.length >= this.max) void this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.flush();
        });
      }
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
    const batch = this.queue.splice(0, this.max);
    const inputs = this.model.manifest.inputs.map((_, i) => {
      const size = this.model.rowSize(i);
      const data = new Float32Array(batch.length * size);
      batch.forEach((r, b) => data.set(r.rows[i], b * size));
      return data;
    });
    const t0 = performance.now();
    try {
      const values = await this.model.run(inputs, batch.length);
      batch.forEach((r, b) => r.resolve(values[b]));
    } catch (e) {
      for (const r of batch) r.reject(e);
    } finally {
      this.stats.batches++;
      this.stats.windows += batch.length;
      this.stats.maxBatchSeen = Math.max(this.stats.maxBatchSeen, batch.length);
      this.stats.runMsTotal += performance.now() - t0;
      this.running = false;
    }
    if (this.queue.length > 0) void this.flush();
    else for (const w of this.waiters.splice(0)) w();
  }
}
