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

  it('keeps the persistence across versions with the same limits, and restarts it when the limits change', () => {
    const t = new HealthTracker('p', cfg.health);
    t.apply(win(0), [anomaly(9)]);
    expect(t.apply(win(1), [anomaly(9, { version: '1.1.0' })]).health[0].state).toBe('alarm');
    expect(t.apply(win(2), [anomaly(9, { thresholds: { anomaly: 6 } })]).health[0].state).toBe('warning');
  });
});
