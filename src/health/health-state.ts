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
  constructor(readonly threshold: number, readonly clearThreshold: number, p: Persistence) {
    if (!(clearThreshold <= threshold)) throw new RangeError(`clear threshold ${clearThreshold} is above the threshold ${threshold}`);
    this.cond = new PersistentCondition(p.n, p.m);
  }

  update(score: number): 'normal' | 'warning' | 'alarm' {
    const over = score > this.threshold;
    if (this.cond.update(over, score < this.clearThreshold)) return 'alarm';
    return over ? 'warning' : 'normal';
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
  private readonly margin: number;
  constructor(readonly warnAt: number, readonly alarmAt: number, p: Persistence) {
    if (alarmAt > warnAt) throw new RangeError(`RUL alarm limit ${alarmAt} is above the warning limit ${warnAt}`);
    this.warn = new PersistentCondition(p.n, p.m);
    this.alarm = new PersistentCondition(p.n, p.m);
    this.margin = 0.1 * warnAt;
  }

  update(rul: number): { state: 'normal' | 'warning' | 'alarm'; dueIn: number } {
    const w = this.warn.update(rul <= this.warnAt, rul > this.warnAt + this.margin);
    const a = this.alarm.update(rul <= this.alarmAt, rul > this.alarmAt + this.margin);
    return { state: a ? 'alarm' : w ? 'warning' : 'normal', dueIn: Math.max(0, rul - this.alarmAt) };
  }
}
