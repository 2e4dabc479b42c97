/**
 * n-of-m persistence with hysteresis: a condition turns on when at least n of the last m windows
 * were over the raise limit, and off when at least n of the last m were under the (lower) clear
 * limit. Windows between the two limits count for neither, so a value hovering at the threshold
 * does not make an alarm flap.
 */
export class PersistentCondition {
  private readonly over: Uint8Array;
  private readonly under: Uint8Array;
  private i = 0;
  private filled = 0;
  private active = false;

  constructor(private readonly n: number, private readonly m: number) {
    if (n < 1 || m < n) throw new RangeError(`persistence needs 1 <= n <= m, got n=${n} m=${m}`);
    this.over = new Uint8Array(m);
    this.under = new Uint8Array(m);
  }

  /** Records one window; returns the state after it. */
  update(isOver: boolean, isUnder: boolean): boolean {
    this.over[this.i] = isOver ? 1 : 0;
    this.under[this.i] = isUnder ? 1 : 0;
    this.i = (this.i + 1) % this.m;
    this.filled = Math.min(this.m, this.filled + 1);
    const overCount = count(this.over);
    const underCount = count(this.under);
    if (!this.active && overCount >= this.n) this.active = true;
    else if (this.active && underCount >= this.n) this.active = false;
    return this.active;
  }

  isActive(): boolean {
    return this.active;
  }

  /**
   * Replaces the history with `history` (oldest first; only the last m count) and the state with
   * `active`, without judging: the next update() decides from there. A change of limits uses it to
   * carry a condition over with its windows re-judged, instead of starting from nothing.
   */
  restore(active: boolean, history: readonly (readonly [over: boolean, under: boolean])[]): void {
    this.over.fill(0);
    this.under.fill(0);
    const kept = history.slice(-this.m);
    kept.forEach(([o, u], k) => {
      this.over[k] = o ? 1 : 0;
      this.under[k] = u ? 1 : 0;
    });
    this.i = kept.length % this.m;
    this.filled = kept.length;
    this.active = active;
  }
}

/** The last m values seen, oldest first on read (what a change of limits re-judges). */
class RecentValues {
  private readonly ring: Float64Array;
  private i = 0;
  private filled = 0;

  constructor(private readonly m: number) {
    this.ring = new Float64Array(m);
  }

  push(v: number): void {
    this.ring[this.i] = v;
    this.i = (this.i + 1) % this.m;
    if (this.filled < this.m) this.filled++;
  }

  values(): number[] {
    const out: number[] = [];
    for (let k = this.filled; k > 0; k--) out.push(this.ring[(this.i - k + this.m) % this.m]);
    return out;
  }

  copyFrom(o: RecentValues): void {
    for (const v of o.values()) this.push(v);
  }
}

function count(a: Uint8Array): number {
  let c = 0;
  for (let k = 0; k < a.length; k++) c += a[k];
  return c;
}

export interface Persistence {
  readonly n: number;
  readonly m: number;
}

/** Anomaly score -> state: `alarm` while the persistent condition holds, `warning` for a lone window over the threshold. */
export class AnomalyHealth {
  private readonly cond: PersistentCondition;
  private readonly recent: RecentValues;
  constructor(readonly threshold: number, readonly clearThreshold: number, private readonly p: Persistence) {
    if (!(clearThreshold <= threshold)) throw new RangeError(`clear threshold ${clearThreshold} is above the threshold ${threshold}`);
    this.cond = new PersistentCondition(p.n, p.m);
    this.recent = new RecentValues(p.m);
  }

  update(score: number): 'normal' | 'warning' | 'alarm' {
    this.recent.push(score);
    const over = score > this.threshold;
    if (this.cond.update(over, score < this.clearThreshold)) return 'alarm';
    return over ? 'warning' : 'normal';
  }

  /**
   * The same condition under new limits (a model version with other thresholds): the last m
   * scores are re-judged against them and the current state is kept, so an alarm that still
   * holds stays raised and clears only once n of m scores are under the new clear limit.
   */
  withLimits(threshold: number, clearThreshold: number): AnomalyHealth {
    const h = new AnomalyHealth(threshold, clearThreshold, this.p);
    h.recent.copyFrom(this.recent);
    h.cond.restore(this.cond.isActive(), this.recent.values().map((v) => [v > threshold, v < clearThreshold] as const));
    return h;
  }
}

/**
 * RUL -> state and maintenance window. `warning` when the RUL has persistently been at or under
 * warnAt, `alarm` under alarmAt; each clears once persistently 10% of warnAt above its limit.
 * The maintenance window is the life left before the alarm limit.
 */
export class RulHealth {
  private readonly warn: PersistentCondition;
  private readonly alarm: PersistentCondition;
  private readonly recent: RecentValues;
  private readonly margin: number;
  constructor(readonly warnAt: number, readonly alarmAt: number, private readonly p: Persistence) {
    if (alarmAt > warnAt) throw new RangeError(`RUL alarm limit ${alarmAt} is above the warning limit ${warnAt}`);
    this.warn = new PersistentCondition(p.n, p.m);
    this.alarm = new PersistentCondition(p.n, p.m);
    this.recent = new RecentValues(p.m);
    this.margin = 0.1 * warnAt;
  }

  update(rul: number): { state: 'normal' | 'warning' | 'alarm'; dueIn: number } {
    this.recent.push(rul);
    const w = this.warn.update(rul <= this.warnAt, rul > this.warnAt + this.margin);
    const a = this.alarm.update(rul <= this.alarmAt, rul > this.alarmAt + this.margin);
    return { state: a ? 'alarm' : w ? 'warning' : 'normal', dueIn: Math.max(0, rul - this.alarmAt) };
  }

  /** The same conditions under new limits, history re-judged and states kept (see AnomalyHealth.withLimits). */
  withLimits(warnAt: number, alarmAt: number): RulHealth {
    const h = new RulHealth(warnAt, alarmAt, this.p);
    const values = this.recent.values();
    h.recent.copyFrom(this.recent);
    h.warn.restore(this.warn.isActive(), values.map((v) => [v <= warnAt, v > warnAt + h.margin] as const));
    h.alarm.restore(this.alarm.isActive(), values.map((v) => [v <= alarmAt, v > alarmAt + h.margin] as const));
    return h;
  }
}
