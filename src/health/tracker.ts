import type { HealthConfig } from '../assets/config';
import type { ModelScore, WindowResult } from '../assets/types';
import { AlarmBook } from './alarms';
import { AnomalyHealth, RulHealth } from './health-state';
import type { AlarmEvent, AlarmSeverity, HealthResult } from './types';

export interface TrackerOutput {
  readonly health: HealthResult[];
  readonly alarms: AlarmEvent[];
  /** Scores that could not become health (no threshold known), with the reason. */
  readonly problems: string[];
}

/**
 * One asset's health: turns each bound model's score for a window into a state (persistence and
 * hysteresis per model) and alarm changes. Windows must be applied in order.
 */
export class HealthTracker {
  readonly alarms = new AlarmBook();
  private readonly anomaly = new Map<string, { key: string; h: AnomalyHealth }>();
  private readonly rul = new Map<string, { key: string; h: RulHealth }>();

  constructor(private readonly asset: string, private readonly cfg: HealthConfig) {}

  apply(w: WindowResult, scores: readonly ModelScore[]): TrackerOutput {
    const health: HealthResult[] = [];
    const alarms: AlarmEvent[] = [];
    const problems: string[] = [];
    for (const s of scores) {
      if (s.value === undefined || s.error) continue;
      try {
        this.applyOne(w, { ...s, value: s.value }, health, alarms, problems);
      } catch (e) {
        problems.push(`asset ${this.asset}: model ${s.model}@${s.version}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return { health, alarms, problems };
  }

  private applyOne(w: WindowResult, s: ModelScore & { value: number }, health: HealthResult[], alarms: AlarmEvent[], problems: string[]): void {
    {
      const ctx = { asset: this.asset, model: s.model, version: s.version, ts: w.end, value: s.value, quality: w.quality };
      const base = { model: s.model, version: s.version, role: s.binding.role, value: s.value, quality: w.quality, ...(s.units ? { units: s.units } : {}), ...(s.shadow ? { shadow: s.shadow } : {}) };
      if (s.binding.role === 'anomaly') {
        const threshold = this.cfg.threshold ?? s.thresholds?.anomaly;
        if (threshold === undefined) {
          problems.push(`asset ${this.asset}: model ${s.model}@${s.version} has no anomaly threshold (set assets[].health.threshold or thresholds.anomaly in its manifest)`);
          return;
        }
        const clear = this.cfg.clearThreshold ?? threshold - 0.2 * Math.abs(threshold);
        const h = this.state(this.anomaly, s.model, `${threshold}/${clear}`, () => new AnomalyHealth(threshold, clear, this.cfg));
        const state = h.update(s.value);
        health.push({ ...base, state });
        push(alarms, this.alarms.update({ ...ctx, condition: 'anomaly' }, state === 'alarm' ? 'critical' : undefined));
      } else {
        const warnAt = this.cfg.rulWarn ?? s.thresholds?.rulWarn ?? 50;
        const alarmAt = this.cfg.rulAlarm ?? s.thresholds?.rulAlarm ?? 20;
        const h = this.state(this.rul, s.model, `${warnAt}/${alarmAt}`, () => new RulHealth(warnAt, alarmAt, this.cfg));
        const { state, dueIn } = h.update(s.value);
        const units = s.units ?? 'cycles';
        health.push({ ...base, state, maintenance: { dueIn, units, urgency: state } });
        const want: AlarmSeverity | undefined = state === 'alarm' ? 'critical' : state === 'warning' ? 'warning' : undefined;
        push(alarms, this.alarms.update({ ...ctx, condition: 'rul' }, want));
      }
    }
  }

  /** Keeps the persistence state across model versions unless the limits changed. */
  private state<T>(map: Map<string, { key: string; h: T }>, model: string, key: string, make: () => T): T {
    const cur = map.get(model);
    if (cur && cur.key === key) return cur.h;
    const h = make();
    map.set(model, { key, h });
    return h;
  }
}

function push(list: AlarmEvent[], e: AlarmEvent | undefined): void {
  if (e) list.push(e);
}
