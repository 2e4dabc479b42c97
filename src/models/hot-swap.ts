import type { AssetConfig } from '../assets/config';
import { Batcher, type BatchRequest, type BatchStats } from './batcher';
import { ModelRejectedError, ScoreError } from './errors';
import { planInput, type InputPlan, type PlanContext } from './input-assembly';
import type { LoadedModel } from './runner';

/**
 * A model version ready to score: its session, its batcher and its input plan for every asset
 * bound to it. `previous` is the version it replaced, kept loaded during probation so a bad
 * output can roll back and re-score the window at once.
 */
export class Deployed {
  readonly batcher: Batcher;
  private readonly plans = new Map<string, InputPlan[]>();
  previous: Deployed | undefined;
  /** Set when this version was rolled back: its windows still in flight re-score there. */
  rolledBackTo: Deployed | undefined;
  probationLeft = 0;

  constructor(
    readonly model: LoadedModel,
    maxBatch: number,
    stats?: BatchStats,
    private readonly ctx: PlanContext = {},
  ) {
    this.batcher = new Batcher(model, maxBatch, stats);
  }

  /** Plans the inputs for an asset; throws ModelRejectedError('binding') on any mismatch. */
  bind(asset: AssetConfig, role: 'anomaly' | 'rul'): void {
    const m = this.model;
    if (m.manifest.kind !== role) {
      throw new ModelRejectedError(`model ${m.ref}`, 'binding', `is a ${m.manifest.kind} model but asset ${asset.id} binds it as ${role}`);
    }
    this.plans.set(asset.id, m.manifest.inputs.map((inp) => planInput(m.ref, inp, asset, this.ctx)));
  }

  /** The input plans for an asset's windows (one per model input), or a ScoreError. */
  plansFor(asset: string): readonly InputPlan[] {
    const plans = this.plans.get(asset);
    if (!plans) throw new ScoreError(`model ${this.model.ref}`, `is not bound to asset ${asset}`);
    return plans;
  }

  /** Queues a window for the next batch (its fill() runs now); throws what fill() throws. */
  enqueue(r: BatchRequest): void {
    this.batcher.enqueue(r);
  }

  /** Waits for the windows in flight, then frees the session. */
  async retire(): Promise<void> {
    await this.batcher.drained();
    await this.model.release();
  }
}

/**
 * The live version of one model id. Every window reads `active` once, synchronously, when it is
 * submitted, and is scored by exactly that version; swap() replaces the reference in one
 * assignment, so a window is never dropped nor scored twice across a swap. Versions in flight
 * finish on their own session before it is released.
 */
export class ModelSlot {
  active: Deployed | undefined;
  /** A new version of this id scored beside the active one (shadow mode), not yet trusted. */
  candidate: Deployed | undefined;
  /** Why the slot has no active version (for the error of each window it cannot score). */
  lastError = '';

  constructor(readonly id: string) {}

  /** Makes `next` active; the old version stays as `next.previous` for `probation` windows. */
  swap(next: Deployed, probation: number): Deployed | undefined {
    const old = this.active;
    next.previous = old && probation > 0 ? old : undefined;
    next.probationLeft = old ? probation : 0;
    this.active = next;
    return old && probation === 0 ? old : undefined;
  }

  /** Reverts a version on probation to its predecessor; returns the failed one (to retire). */
  rollback(): Deployed | undefined {
    const bad = this.active;
    if (!bad?.previous) return undefined;
    this.active = bad.previous;
    bad.rolledBackTo = bad.previous;
    bad.previous = undefined;
    return bad;
  }

  /** One good window on the active version; returns the predecessor to retire when probation ends. */
  passed(d: Deployed): Deployed | undefined {
    if (d !== this.active || !d.previous) return undefined;
    if (--d.probationLeft > 0) return undefined;
    const prev = d.previous;
    d.previous = undefined;
    return prev;
  }
}
