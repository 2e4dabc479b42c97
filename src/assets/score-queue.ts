import { iso } from '../core/clock';
import type { HealthTracker } from '../health/tracker';
import type { AlarmEvent } from '../health/types';
import type { AssetConfig } from './config';
import type { RawWindow } from './frame';
import type { AssetStats } from './stats';
import type { ModelRunnerLike, ModelScore, ScoreSink, WindowResult } from './types';
import type { CutWindow, Windower } from './windower';

export interface ScoreQueueDeps {
  readonly cfg: AssetConfig;
  readonly models: ModelRunnerLike | undefined;
  readonly windower: Windower;
  readonly tracker: HealthTracker;
  readonly st: AssetStats;
  /** The pipeline's rate-limited warning. */
  readonly warn: (key: string, message: string) => void;
  /** The pipeline's rate-limited note (info level). */
  readonly note: (key: string, message: string) => void;
  /** A window leaves: in window order, with its health when models are bound. */
  readonly window: (w: WindowResult) => void;
  readonly alarm: (a: AlarmEvent) => void;
}

/** A window waiting for its scores; the model layer settles it (once), then the queue drains. */
class Pending implements ScoreSink {
  settled = false;
  scores: readonly ModelScore[] | undefined = undefined;
  error: unknown = undefined;

  constructor(readonly result: WindowResult, private raw: RawWindow | undefined, private readonly windower: Windower, private readonly onSettled: () => void) {}

  /** Gives the window's arrays back to the windower (once), when nothing reads them any more. */
  releaseRaw(): void {
    if (this.raw) this.windower.release(this.raw);
    this.raw = undefined;
  }

  settle(scores: readonly ModelScore[] | undefined, error?: unknown): void {
    if (this.settled) return;
    this.scores = scores;
    this.error = error;
    this.settled = true;
    this.onSettled();
  }
}

/**
 * An asset's windows from features to emit: hands each to the models, applies their scores to
 * health and alarms, and emits the windows strictly in order, each exactly once (scoring is
 * asynchronous, batched by the model layer).
 */
export class ScoreQueue {
  private queue: Pending[] = [];
  private readonly drainQueue = (): void => this.drain();
  private idle: (() => void)[] = [];
  /** The progress of a model still learning its baseline, when that is why the last window emitted has no health. */
  calibrating: string | undefined = undefined;

  constructor(private readonly d: ScoreQueueDeps) {}

  /** Windows being scored, or scored and waiting for an earlier one. */
  get inFlight(): number {
    return this.queue.length;
  }

  /** Resolves when the queue next runs empty. */
  whenIdle(): Promise<void> {
    return new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Queues a window with its features and scores it; its frames `rw` go back to the windower when done. */
  push(result: WindowResult, rw: CutWindow): void {
    const p = new Pending(result, rw, this.d.windower, this.drainQueue);
    this.queue.push(p);
    const { models, cfg } = this.d;
    if (!models || cfg.models.length === 0) p.settle(undefined);
    else if (models.scoreInto) {
      // Done with the frames once they are in a batch: the next window of this asset refills the
      // same arrays (one window buffer per asset stays in the CPU cache better than two).
      if (models.scoreInto(cfg, { raw: rw, result }, p)) p.releaseRaw();
    } else models.score(cfg, { raw: rw, result }).then((scores) => p.settle(scores), (e: unknown) => p.settle(undefined, e));
  }

  /** Emits settled windows from the head of the queue, so order holds across async scoring. */
  private drain(): void {
    const { st, warn } = this.d;
    while (this.queue.length > 0 && this.queue[0].settled) {
      const p = this.queue.shift() as Pending;
      if (p.error !== undefined) {
        st.scoreErrors++;
        warn('score-error', `asset ${this.d.cfg.id}: scoring window ${iso(p.result.start)} failed: ${p.error instanceof Error ? p.error.message : String(p.error)}`);
      }
      this.calibrating = p.scores ? this.applyScores(p.result, p.scores) : undefined;
      if (p.result.quality === 'degraded') st.windowsDegraded++;
      st.windows++;
      p.releaseRaw();
      this.d.window(p.result);
    }
    if (this.queue.length === 0) for (const r of this.idle.splice(0)) r();
  }

  /** Counts, health and alarms of a scored window; returns a model's calibration progress when that is why it has no health. */
  private applyScores(result: WindowResult, scores: readonly ModelScore[]): string | undefined {
    const { st, warn } = this.d;
    let calibrating: string | undefined;
    for (const s of scores) {
      if (s.calibrating !== undefined) {
        calibrating ??= s.calibrating;
        this.d.note(`calibrating:${s.model}`, s.calibrating);
      }
      if (s.error) {
        st.scoreErrors++;
        warn(`score:${s.model}`, `asset ${this.d.cfg.id}: model ${s.model}: ${s.error}`);
      }
    }
    if (calibrating !== undefined) st.windowsCalibrating++;
    const out = this.d.tracker.apply(result, scores);
    for (const m of out.problems) {
      st.healthProblems++;
      warn(`health:${m}`, m);
    }
    if (out.health.length > 0) {
      result.health = out.health;
      st.scored++;
    }
    for (const a of out.alarms) this.d.alarm(a);
    // a model still calibrating is what the status line says only when no other model gave a health
    return out.health.length > 0 ? undefined : calibrating;
  }
}
