import { iso } from '../core/clock';
import type { AssetConfig, AssetModelBinding } from '../assets/config';
import type { AnalyzedWindow, ModelScore, ScoreSink } from '../assets/types';
import { CalibratingError } from './baseline';
import type { BatchRequest } from './batcher';
import type { Deployed, ModelSlot } from './hot-swap';
import { assemble, type InputPlan } from './input-assembly';
import { disagrees, type ShadowCounters } from './shadow';
import type { ModelStats } from './stats';

/** What scoring needs from the model service: its slots and counters, and its decisions. */
export interface ScoringHost {
  readonly slots: ReadonlyMap<string, ModelSlot>;
  readonly stats: ModelStats;
  readonly shadowTolerance: number;
  shadowCounters(active: Deployed, candidate: Deployed): ShadowCounters;
  /** `d`, active and on probation, gave a bad output: revert its slot (persisted and logged). */
  rollBack(slot: ModelSlot, d: Deployed, bad: string, message: string): void;
  retire(d: Deployed, why: string): void;
  warn(key: string, message: string): void;
}

/** One window and every model its asset binds: settles the sink once all bindings are done. */
class WindowJob {
  readonly scores: ModelScore[];
  private left: number;

  constructor(readonly asset: AssetConfig, readonly w: AnalyzedWindow, private readonly sink: ScoreSink) {
    this.left = asset.models.length;
    this.scores = new Array<ModelScore>(this.left);
  }

  done(index: number, s: ModelScore): void {
    this.scores[index] = s;
    if (--this.left === 0) this.sink.settle(this.scores);
  }
}

/**
 * One binding of one window: the run on the version active when the window came (re-run on the
 * predecessor after a rollback) and, beside it, a shadow run. It is itself the batch request of
 * the main run, so a window costs a few plain objects and no promise.
 */
class BindingJob implements BatchRequest {
  /** The version the main run goes to (changes on a rollback). */
  d: Deployed;
  plans: readonly InputPlan[] = [];
  value = NaN;
  error: string | undefined = undefined;
  /** The main run found the baseline still calibrating (its progress): no value, no error. */
  calibrating: string | undefined = undefined;
  shadowD: Deployed | undefined = undefined;
  shadowValue = NaN;
  /** Runs (main, shadow) not back yet. */
  left = 1;

  constructor(
    readonly scorer: WindowScorer,
    readonly win: WindowJob,
    readonly index: number,
    readonly binding: AssetModelBinding,
    readonly slot: ModelSlot,
    /** The version active when the window came (shadow counters are kept against it). */
    readonly active: Deployed,
  ) {
    this.d = active;
  }

  fill(input: number, into: Float32Array, at: number): void {
    assemble(this.d.model.ref, this.plans[input], this.win.w, into, at);
  }

  deliver(value: number): void {
    this.scorer.mainDelivered(this, value);
  }

  fail(error: unknown): void {
    this.scorer.mainFailed(this, error);
  }
}

/** The shadow run of a binding job on a candidate version. */
class ShadowRun implements BatchRequest {
  plans: readonly InputPlan[] = [];

  constructor(readonly job: BindingJob, readonly d: Deployed) {}

  fill(input: number, into: Float32Array, at: number): void {
    assemble(this.d.model.ref, this.plans[input], this.job.win.w, into, at);
  }

  deliver(value: number): void {
    this.job.scorer.shadowDelivered(this, value);
  }

  fail(error: unknown): void {
    this.job.scorer.shadowFailed(this, error);
  }
}

/**
 * Scores windows on the active versions, batched, with probation, rollback and shadow runs.
 * Every window gets one ModelScore per binding: a value, or the reason it has none.
 */
export class WindowScorer {
  constructor(private readonly host: ScoringHost) {}

  /**
   * Queues the window on every model its asset binds. Returns true when `w.raw` is not read after
   * this call: only a version on probation may roll back and re-score the window later.
   */
  score(asset: AssetConfig, w: AnalyzedWindow, sink: ScoreSink): boolean {
    const n = asset.models.length;
    if (n === 0) {
      sink.settle([]);
      return true;
    }
    const win = new WindowJob(asset, w, sink);
    let done = true;
    for (let i = 0; i < n; i++) if (!this.start(win, i, asset.models[i])) done = false;
    return done;
  }

  /** Returns false when the window may be re-scored later (the version is on probation). */
  private start(win: WindowJob, index: number, b: AssetModelBinding): boolean {
    const slot = this.host.slots.get(b.id);
    const d = slot?.active;
    if (!slot || !d) {
      this.host.stats.scoreErrors++;
      win.done(index, { binding: b, model: b.id, version: '', error: slot?.lastError || `model ${b.id} is not loaded` });
      return true;
    }
    const probation = d.previous !== undefined;
    const cand = slot.candidate ?? (b.shadow ? this.host.slots.get(b.shadow)?.active : undefined);
    const job = new BindingJob(this, win, index, b, slot, d);
    job.left = cand ? 2 : 1;
    if (cand) this.submitShadow(new ShadowRun(job, cand));
    this.submitMain(job, d);
    return !probation;
  }

  private submitMain(job: BindingJob, d: Deployed): void {
    job.d = d;
    try {
      job.plans = d.plansFor(job.win.asset.id);
      d.enqueue(job);
    } catch (e) {
      this.mainFailed(job, e);
    }
  }

  private submitShadow(run: ShadowRun): void {
    try {
      run.plans = run.d.plansFor(run.job.win.asset.id);
      run.d.enqueue(run);
    } catch (e) {
      this.shadowFailed(run, e);
    }
  }

  /** A bad output during probation rolls the slot back and re-scores the window on the predecessor. */
  mainDelivered(job: BindingJob, value: number): void {
    const d = job.d;
    const bad = d.model.invalid(value);
    if (!bad) {
      const retired = job.slot.passed(d);
      if (retired) this.host.retire(retired, `probation of ${d.model.ref} passed`);
      job.value = value;
      this.partDone(job);
      return;
    }
    this.host.stats.badOutputs++;
    const { asset, w } = job.win;
    const msg = `model ${d.model.ref}: ${bad} for window ${iso(w.result.start)} of asset ${asset.id}`;
    if (job.slot.active === d && d.previous) this.host.rollBack(job.slot, d, bad, msg);
    else this.host.warn(`bad:${d.model.ref}`, msg);
    const fallback = d.rolledBackTo;
    if (fallback) {
      this.submitMain(job, fallback);
      return;
    }
    job.error = msg;
    this.partDone(job);
  }

  mainFailed(job: BindingJob, e: unknown): void {
    if (e instanceof CalibratingError) job.calibrating = e.message;
    else job.error = message(e);
    this.partDone(job);
  }

  shadowDelivered(run: ShadowRun, value: number): void {
    const bad = run.d.model.invalid(value);
    if (bad) {
      this.shadowFailed(run, new Error(bad));
      return;
    }
    run.job.shadowD = run.d;
    run.job.shadowValue = value;
    this.partDone(run.job);
  }

  shadowFailed(run: ShadowRun, e: unknown): void {
    const { job, d } = run;
    if (e instanceof CalibratingError) {
      this.partDone(job); // the candidate's own baseline is not in yet: no comparison, no fault
      return;
    }
    this.host.stats.shadowFaults++;
    this.host.shadowCounters(job.active, d).faults++;
    this.host.warn(`shadow:${d.model.ref}`, `shadow ${d.model.ref} beside ${job.active.model.ref} (binding ${job.binding.id}, asset ${job.win.asset.id}): ${message(e)}`);
    this.partDone(job);
  }

  private partDone(job: BindingJob): void {
    if (--job.left > 0) return;
    const b = job.binding;
    const d = job.d;
    if (job.error !== undefined) {
      this.host.stats.scoreErrors++;
      job.win.done(job.index, { binding: b, model: b.id, version: d.model.version, error: job.error });
      return;
    }
    if (job.calibrating !== undefined) {
      this.host.stats.windowsCalibrating++;
      job.win.done(job.index, { binding: b, model: b.id, version: d.model.version, calibrating: job.calibrating });
      return;
    }
    this.host.stats.windowsScored++;
    const m = d.model.manifest;
    const asset = job.win.asset;
    const shadow = job.shadowD;
    const s: { -readonly [K in keyof ModelScore]: ModelScore[K] } = { binding: b, model: b.id, version: m.version, value: job.value, thresholds: m.thresholds };
    if (d.model.scoreOutput.units) s.units = d.model.scoreOutput.units;
    if (shadow) {
      const threshold = m.kind === 'anomaly' ? (asset.health.threshold ?? m.thresholds.anomaly) : undefined;
      const disagree = disagrees(job.value, job.shadowValue, threshold, this.host.shadowTolerance);
      this.recordShadow(job, shadow, disagree);
      s.shadow = { model: shadow.model.id, version: shadow.model.version, value: job.shadowValue, disagree };
    }
    job.win.done(job.index, s);
  }

  private recordShadow(job: BindingJob, shadow: Deployed, disagree: boolean): void {
    const st = this.host.stats;
    st.shadowRuns++;
    if (disagree) st.shadowDisagreements++;
    this.host.shadowCounters(job.d, shadow).record(job.value, job.shadowValue, disagree);
    if (disagree) {
      this.host.warn(`disagree:${shadow.model.ref}`, `shadow ${shadow.model.ref} disagrees with ${job.d.model.ref} on asset ${job.win.asset.id} window ${iso(job.win.w.result.start)}: ${job.shadowValue} vs ${job.value}`);
    }
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
