/** Link / module state as reported to the status line, `/healthz` and metrics. */
export type LinkState = 'starting' | 'up' | 'down' | 'stopped';

export interface ModuleHealth {
  readonly healthy: boolean;
  readonly state: LinkState;
  /** Why it is not healthy, naming the endpoint or file at fault. */
  readonly detail?: string;
}

/**
 * Every box of the pipeline has the same lifecycle. `start()` must not fail because a peer is
 * unreachable (that is a `down` state with retries); it fails only for a fatal local problem.
 * `stop()` finishes the work in flight and releases every handle.
 */
export interface Module {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): ModuleHealth;
}
