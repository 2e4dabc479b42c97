import { AlarmBook } from '../../src/health/alarms';
import { AnomalyHealth, PersistentCondition, RulHealth } from '../../src/health/health-state';

describe('health states', () => {
  it('n-of-m: raises on the n-th of m windows over, not before; clears after n under', () => {
    const c = new PersistentCondition(3, 5);
    const seq: [boolean, boolean][] = [[true, false], [false, true], [true, false], [false, false], [true, false], [false, true], [false, true], [false, true]];
    expect(seq.map(([o, u]) => c.update(o, u))).toEqual([false, false, false, false, true, true, true, false]);
  });

  it('n-of-m forgets windows older than m', () => {
    const c = new PersistentCondition(2, 3);
    expect([true, false, false, true, false, false].map((o) => c.update(o, !o))).toEqual([false, false, false, false, false, false]);
  });

  it('rejects n > m', () => {
    expect(() => new PersistentCondition(4, 3)).toThrow('persistence needs 1 <= n <= m, got n=4 m=3');
  });

  it('anomaly hysteresis: a score between clear and raise thresholds neither raises nor clears', () => {
    const h = new AnomalyHealth(1, 0.5, { n: 2, m: 3 });
    expect([0.2, 1.2, 0.9, 1.5, 0.7, 0.8, 0.6, 0.4, 0.3].map((v) => h.update(v))).toEqual(
      ['normal', 'warning', 'normal', 'alarm', 'alarm', 'alarm', 'alarm', 'alarm', 'normal'],
    );
  });

  it('RUL: warning under warnAt, alarm under alarmAt (persistent), maintenance due before the alarm limit', () => {
    const h = new RulHealth(50, 20, { n: 2, m: 3 });
    const out = [80, 45, 40, 30, 19, 15, 12].map((v) => h.update(v));
    expect(out.map((o) => o.state)).toEqual(['normal', 'normal', 'warning', 'warning', 'warning', 'alarm', 'alarm']);
    expect(out.map((o) => o.dueIn)).toEqual([60, 25, 20, 10, 0, 0, 0]);
    // maintenance done: RUL jumps back up; clears after n windows above the limits + 10% margin
    expect([120, 120].map((v) => h.update(v).state)).toEqual(['alarm', 'normal']);
  });

  it('alarm book: raise once, deduplicate repeats, escalate, acknowledge once, clear, raise again', () => {
    const b = new AlarmBook();
    const ctx = { asset: 'p1', model: 'm', version: '1.0.0', condition: 'rul' as const, ts: 1, value: 40, quality: 'good' as const };
    expect(b.has('p1/m/rul')).toBe(false);
    expect(b.update(ctx, 'warning')?.action).toBe('raise');
    expect(b.has('p1/m/rul')).toBe(true);
    expect(b.update({ ...ctx, ts: 2 }, 'warning')).toBeUndefined();
    const esc = b.update({ ...ctx, ts: 3, value: 10 }, 'critical');
    expect(esc).toMatchObject({ action: 'escalate', severity: 'critical', key: 'p1/m/rul', message: 'rul alarm on p1 changed from warning to critical: value 10' });
    expect(b.acknowledge('p1/m/rul', 4, 'alice')).toMatchObject({ action: 'acknowledge', version: '1.0.0', message: 'rul alarm on p1 acknowledged by alice' });
    expect(b.acknowledge('p1/m/rul', 5)).toBeUndefined();
    expect(b.active()).toEqual([expect.objectContaining({ key: 'p1/m/rul', acknowledged: true, severity: 'critical', raisedAt: 1 })]);
    expect(b.update({ ...ctx, ts: 6, value: 100 }, undefined)).toMatchObject({ action: 'clear', severity: 'critical' });
    expect(b.active()).toEqual([]);
    expect(b.has('p1/m/rul')).toBe(false);
    expect(b.update({ ...ctx, ts: 7 }, undefined)).toBeUndefined();
    expect(b.update({ ...ctx, ts: 8 }, 'warning')?.action).toBe('raise');
  });
});
