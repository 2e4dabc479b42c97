import type { Module, LinkState } from './lifecycle';
import type { Sample } from './sample';
import { batchCounts, batchSamples, type ColumnBatch } from './batch';
import { TypedEmitter } from './typed-emitter';

export interface SourceStats {
  readonly samples: number;
  readonly badSamples: number;
  readonly errors: number;
  readonly reconnects: number;
}

export interface SourceEvents {
  /**
   * Every delivery in columns (good numbers in typed arrays, the rest as Samples, in arrival
   * order): what the SampleRouter listens to. Listeners must not hold on to the batch.
   */
  batch: (batch: ColumnBatch) => void;
  /**
   * The same deliveries as Sample objects, built only while someone listens. Listeners must not
   * hold on to the array. Listen to one of `batch` and `samples`, not both.
   */
  samples: (batch: readonly Sample[]) => void;
  /** Connection state changes; `detail` names the endpoint and the reason. */
  state: (state: LinkState, detail?: string) => void;
}

/**
 * A southbound connection (one OPC-UA endpoint, one Modbus device or line). It reconnects by
 * itself with backoff and jitter and restores its subscriptions after a server restart; start()
 * never fails because the peer is unreachable.
 */
export interface Source extends Module {
  readonly id: string;
  on<K extends keyof SourceEvents>(event: K, listener: SourceEvents[K]): this;
  off<K extends keyof SourceEvents>(event: K, listener: SourceEvents[K]): this;
  stats(): SourceStats;
}

/** What a Source emits, with delivery in both shapes (see SourceEvents). */
export abstract class SourceEmitter extends TypedEmitter<SourceEvents> {
  /** Values delivered and how many of them were bad (the samples / badSamples of SourceStats). */
  protected readonly delivered = { samples: 0, badSamples: 0 };

  /**
   * Counts one delivery and hands it on: as columns, and as Sample objects to whoever wants
   * those. An empty delivery is dropped.
   */
  protected deliver(batch: ColumnBatch): void {
    const n = batchCounts(batch);
    if (n.samples === 0) return;
    this.delivered.samples += n.samples;
    this.delivered.badSamples += n.bad;
    this.emit('batch', batch);
    if (this.listenerCount('samples') > 0) {
      const samples = batchSamples(batch);
      if (samples.length > 0) this.emit('samples', samples);
    }
  }
}
