import { assetConfig } from '../../src/assets/config';
import type { ModelScore, WindowResult } from '../../src/assets/types';
import { HealthTracker } from '../../src/health/tracker';

const cfg = assetConfig.parse({
  id: 'p', tags: { a: 's/a' }, window: { type: 'count', size: 1, frameMs: 1000 },
  models: [{ id: 'ae', role: 'anomaly' }, { id: 'rul', role: 'rul' }], health: { n: 2, m: 3 },
});

function win(seq: number, quality: 'good' | 'degraded' = 'good'): WindowResult {
  return { asset: 'p', seq, start: seq * 1000, end: (seq + 1) * 1000, frames: 1, quality, coverage: 1, features: {}, missingChannels: [] };
}

function anomaly(value: number, extra: Partial<ModelScore> = {}): ModelScore {
  return { binding: cfg.models[0], model: 'ae', version: '1.0.0', value, thresholds: { anomaly: 5 }, ...extra };
}

function rul(value: number): ModelScore {
  return { binding: cfg.models[1], model: 'rul', version: '2.0.0', value, units: 'cycles' };
}

describe('HealthTracker', () => {
  it('turns scores into health results with the model, version, quality and (RUL) maintenance window', () => {
    const t = new HealthTracker('p', cfg.health);
    const out = t.apply(win(0, 'degraded'), [anomaly(1, { shadow: { model: 'ae', version: '1.1.0', value: 1.1, disagree: false } }), rul(30)]);
    expect(out.health).toStrictEqual([
      { model: 'ae', version: '1.0.0', role: 'anomaly', value: 1, quality: 'degraded', shadow: { model: 'ae', version: '1.1.0', value: 1.1, disagree: false }, state: 'normal' },
      { model: 'rul', version: '2.0.0', role: 'rul', value: 30, quality: 'degraded', units: 'cycles', state: 'normal', maintenance: { dueIn: 10, units: 'cycles', urgency: 'normal' } },
    ]);
    expect(Object.keys(out.health[1])).toEqual(['model', 'version', 'role', 'value', 'quality', 'units', 'state', 'maintenance']);
    expect([out.alarms, out.problems]).toEqual([[], []]);
  });

  it('raises after n of m, deduplicates, clears, and skips scores without a value', () => {
    const t = new HealthTracker('p', cfg.health);
    const actions = [9, 9, 9, 1, 1, 1].map((v, i) => t.apply(win(i), [anomaly(v), { binding: cfg.models[1], model: 'rul', version: '', error: 'not loaded' }]).alarms.map((a) => [a.action, a.key, a.ts]));
    expect(actions).toEqual([[], [['raise', 'p/ae/anomaly', 2000]], [], [], [['clear', 'p/ae/anomaly', 5000]], []]);
  });

  it('reports a score it cannot judge (no threshold anywhere)', () => {
    const t = new HealthTracker('p', cfg.health);
    const out = t.apply(win(0), [anomaly(1, { thresholds: undefined })]);
    expect(out.health).toEqual([]);
    expect(out.problems).toEqual(['asset p: model ae@1.0.0 has no anomaly threshold (set assets[].health.threshold or thresholds.anomaly in its manifest)']);
  });

  it('keeps the persistence across versions with the same limits, and carries it over (re-judged) when the limits change', () => {
    const t = new HealthTracker('p', cfg.health);
    t.apply(win(0), [anomaly(9)]);
    expect(t.apply(win(1), [anomaly(9, { version: '1.1.0' })]).health[0].state).toBe('alarm');
    // 9 is over the new threshold 6 too: the alarm still holds (it used to drop to 'warning')
    expect(t.apply(win(2), [anomaly(9, { thresholds: { anomaly: 6 } })]).health[0].state).toBe('alarm');
  });

  // Regression (audit of issue 5): a hot swap to a version with another threshold started a fresh
  // n-of-m state, so a faulty machine's live alarm was cleared and raised again: [[], [raise], [clear], [raise]].
  it('a change of limits while the scores stay over both thresholds emits no clear/raise pair', () => {
    const t = new HealthTracker('p', cfg.health);
    const actions = [5, 5, 6, 6, 6].map((threshold, i) => t.apply(win(i), [anomaly(9, { version: threshold === 5 ? '1.0.0' : '2.0.0', thresholds: { anomaly: threshold } })]).alarms.map((a) => a.action));
    expect(actions).toEqual([[], ['raise'], [], [], []]);
    expect(t.alarms.active()).toEqual([expect.objectContaining({ key: 'p/ae/anomaly', version: '2.0.0', severity: 'critical' })]);
  });

  it('after a change of limits a real recovery still clears, after n of m windows under the new clear limit', () => {
    const t = new HealthTracker('p', cfg.health);
    const v2 = (v: number) => anomaly(v, { version: '2.0.0', thresholds: { anomaly: 6 } }); // clears under 4.8
    const scores = [anomaly(9), anomaly(9), v2(9), v2(1), v2(1), v2(1)];
    expect(scores.map((s, i) => t.apply(win(i), [s]).alarms.map((a) => [a.action, a.version]))).toEqual([[], [['raise', '1.0.0']], [], [], [['clear', '2.0.0']], []]);
  });

  it('the carried history is judged by the new limits: scores under the old threshold but over the new one raise at once', () => {
    const t = new HealthTracker('p', cfg.health);
    const v1 = (v: number) => anomaly(v, { thresholds: { anomaly: 10 } });
    expect(t.apply(win(0), [v1(7)]).health[0].state).toBe('normal');
    expect(t.apply(win(1), [v1(7)]).health[0].state).toBe('normal');
    // 2 of the last 3 (7, 7) are over 5 once re-judged: the swap window itself raises
    const out = t.apply(win(2), [anomaly(1, { version: '2.0.0' })]);
    expect(out.health[0].state).toBe('alarm');
    expect(out.alarms.map((a) => a.action)).toEqual(['raise']);
  });

  it('RUL limits that change carry the states over as well', () => {
    const t = new HealthTracker('p', { ...cfg.health, rulWarn: undefined, rulAlarm: undefined });
    const r = (v: number, rulAlarm: number) => ({ ...rul(v), thresholds: { rulWarn: 50, rulAlarm } });
    expect([r(15, 20), r(15, 20), r(15, 18), r(15, 18)].map((s, i) => t.apply(win(i), [s]).alarms.map((a) => [a.action, a.severity]))).toEqual([[], [['raise', 'critical']], [], []]);
  });
});

describe('HealthTracker details', () => {
  const rulScore = (value: number, units?: string): ModelScore => ({ binding: cfg.models[1], model: 'rul', version: '2.0.0', value, ...(units ? { units } : {}) });

  it('RUL maintenance window: dueBy from a time unit, or from health.rulUnitMs, absent otherwise', () => {
    const hours = new HealthTracker('p', cfg.health).apply(win(0), [rulScore(30, 'h')]).health[0];
    // dueIn 30 - 20 = 10 h after the window's end (1000)
    expect(hours.maintenance).toStrictEqual({ dueIn: 10, units: 'h', urgency: 'normal', dueBy: 1000 + 10 * 3_600_000 });
    const cycles = new HealthTracker('p', { ...cfg.health, rulUnitMs: 250 }).apply(win(0), [rulScore(30, 'cycles')]).health[0];
    expect(cycles.maintenance).toStrictEqual({ dueIn: 10, units: 'cycles', urgency: 'normal', dueBy: 1000 + 2500 });
    expect(new HealthTracker('p', cfg.health).apply(win(0), [rulScore(30, 'constructor')]).health[0].maintenance).toStrictEqual({ dueIn: 10, units: 'constructor', urgency: 'normal' });
  });

  it('an acknowledgement carries the quality of the alarm window, not a made-up good', () => {
    const t = new HealthTracker('p', cfg.health);
    t.apply(win(0, 'degraded'), [anomaly(9)]);
    const raise = t.apply(win(1, 'degraded'), [anomaly(9)]).alarms[0];
    expect(raise).toMatchObject({ action: 'raise', quality: 'degraded' });
    expect(t.alarms.acknowledge('p/ae/anomaly', 5000, 'bob')).toMatchObject({ action: 'acknowledge', quality: 'degraded', value: 9, message: 'anomaly alarm on p acknowledged by bob' });
  });
});
