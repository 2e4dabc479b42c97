import type { Module, LinkState } from './lifecycle';
import type { Sample } from './sample';

export interface SourceStats {
  readonly samples: number;
  readonly badSamples: number;
  readonly errors: number;
  readonly reconnects: number;
}

export interface SourceEvents {
  /** A batch of samples, in arrival order. Listeners must not hold on to the array. */
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
