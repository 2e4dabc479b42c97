import type { HealthConfig } from '../assets/config';
import type { ModelScore, WindowResult } from '../assets/types';
import { AlarmBook } from './alarms';
import { AnomalyHealth, RulHealth } from './health-state';
import type { AlarmEvent, AlarmSeverity, HealthResult } from './types';

export interface TrackerOutput {
  readonly health: HealthResult[];
  readonly alarms: readonly AlarmEvent[];
  /** Scores that could not become health (no threshold known), with the reason. */
  readonly problems: readonly string[];
}

/** The persistence state of one model of the asset, with the limits it was made for. */
interface ModelState {
  readonly a: number;
  readonly b: number;
  readonly h: AnomalyHealth | RulHealth;
  /** AlarmBook key of the model's alarm (asset/model/condition), made once. */
  readonly alarmKey: string;
}

const NONE: readonly never[] = Object.freeze([]);

/** Milliseconds per RUL unit for the units that are times (dueBy); others need health.rulUnitMs. */
const TIME_UNIT_MS: ReadonlyMap<string, number> = new Map([
  ['ms', 1], ['s', 1000], ['sec', 1000], ['seconds', 1000], ['min', 60_000], ['minutes', 60_000],
  ['h', 3_600_000], ['hours', 3_600_000], ['d', 86_400_000], ['days', 86_400_000],
]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * One asset's health: turns each bound model's score for a window into a state (persistence and
 * hysteresis per model) and alarm changes. Windows must be applied in order. This runs for every
 * scored window: states and alarm keys are kept per model, and nothing is allocated beyond the
 * results themselves (the alarm and problem lists are shared empty ones unless there is news).
 */
export class HealthTracker {
  readonly alarms = new AlarmBook();
  private readonly anomaly = new Map<string, ModelState>();
  private readonly rul = new Map<string, ModelState>();

  constructor(private readonly asset: string, private readonly cfg: HealthConfig) {}

  apply(w: WindowResult, scores: readonly ModelScore[]): TrackerOutput {
    const out = { health: [] as HealthResult[], alarms: NONE as readonly AlarmEvent[], problems: NONE as readonly string[] };
    for (const s of scores) {
      if (s.value === undefined || s.error) continue;
      try {
        this.applyOne(w, s, s.value, out);
      } catch (e) {
        out.problems = [...out.problems, `asset ${this.asset}: model ${s.model}@${s.version}: ${e instanceof Error ? e.message : String(e)}`];
      }
    }
    return out;
  }

  private applyOne(w: WindowResult, s: ModelScore, value: number, out: Mutable<TrackerOutput>): void {
    const role = s.binding.role;
    // Key order: model, version, role, value, quality, [units], [shadow], state, [maintenance].
    const r = { model: s.model, version: s.version, role, value, quality: w.quality } as Mutable<HealthResult>;
    if (s.units) r.units = s.units;
    if (s.shadow) r.shadow = s.shadow;
    let want: AlarmSeverity | undefined;
    let st: ModelState;
    if (role === 'anomaly') {
      const threshold = this.cfg.threshold ?? s.thresholds?.anomaly;
      if (threshold === undefined) {
        out.problems = [...out.problems, `asset ${this.asset}: model ${s.model}@${s.version} has no anomaly threshold (set assets[].health.threshold or thresholds.anomaly in its manifest)`];
        return;
      }
      const clear = this.cfg.clearThreshold ?? threshold - 0.2 * Math.abs(threshold);
      st = this.state(this.anomaly, s.model, 'anomaly', threshold, clear);
      const state = (st.h as AnomalyHealth).update(value);
      r.state = state;
      want = state === 'alarm' ? 'critical' : undefined;
    } else {
      const warnAt = this.cfg.rulWarn ?? s.thresholds?.rulWarn ?? 50;
      const alarmAt = this.cfg.rulAlarm ?? s.thresholds?.rulAlarm ?? 20;
      st = this.state(this.rul, s.model, 'rul', warnAt, alarmAt);
      const { state, dueIn } = (st.h as RulHealth).update(value);
      r.state = state;
      const units = s.units ?? 'cycles';
      const unitMs = this.cfg.rulUnitMs ?? TIME_UNIT_MS.get(units);
      r.maintenance = unitMs === undefined ? { dueIn, units, urgency: state } : { dueIn, units, urgency: state, dueBy: Math.round(w.end + dueIn * unitMs) };
      want = state === 'alarm' ? 'critical' : state === 'warning' ? 'warning' : undefined;
    }
    out.health.push(r);
    // No alarm wanted and none live (the usual window): nothing to update, no context to build.
    if (!want && !this.alarms.has(st.alarmKey)) return;
    const e = this.alarms.update({ asset: this.asset, model: s.model, version: s.version, condition: role, ts: w.end, value, quality: w.quality }, want, st.alarmKey);
    if (e) out.alarms = [...out.alarms, e];
  }

  /**
   * Keeps the persistence state across model versions; when the limits change (a version whose
   * manifest has other thresholds), the state and the last m values carry over, re-judged
   * against the new limits: a hot swap neither clears a live alarm nor restarts the count.
   */
  private state(map: Map<string, ModelState>, model: string, condition: 'anomaly' | 'rul', a: number, b: number): ModelState {
    const cur = map.get(model);
    if (cur && same(cur.a, a) && same(cur.b, b)) return cur;
    const h = cur
      ? cur.h.withLimits(a, b)
      : condition === 'anomaly' ? new AnomalyHealth(a, b, this.cfg) : new RulHealth(a, b, this.cfg);
    const st: ModelState = { a, b, h, alarmKey: AlarmBook.key(this.asset, model, condition) };
    map.set(model, st);
    return st;
  }
}

/** The same limit (as their printed forms compare: -0 is 0, NaN is NaN). */
function same(x: number, y: number): boolean {
  return x === y || Object.is(x, y);
}
