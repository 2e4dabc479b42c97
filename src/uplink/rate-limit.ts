import type { Clock } from '../core/clock';

/**
 * Token bucket with one second of burst. A request larger than the bucket waits for a full
 * bucket and drives it negative, so the average rate holds for any message size.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    this.tokens = perSecond;
    this.last = clock.now();
  }

  /** Milliseconds until `n` may be taken (0: now). */
  wait(n: number): number {
    this.refill();
    const need = Math.min(n, this.perSecond);
    return this.tokens >= need ? 0 : Math.ceil(((need - this.tokens) / this.perSecond) * 1000);
  }

  take(n: number): void {
    this.refill();
    this.tokens -= n;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}

/** `normal`: send all; `thin`: telemetry thinned; `exhausted`: only alarms and gap records. */
export type BudgetMode = 'normal' | 'thin' | 'exhausted';

/** Bytes sent per UTC day against a budget (kept in memory: a restart starts the day afresh). */
export class DailyBudget {
  private day = '';
  private spentBytes = 0;
  constructor(
    private readonly budget: number | undefined,
    private readonly thinAt: number,
    private readonly clock: Clock,
  ) {}

  spend(bytes: number): void {
    this.roll();
    this.spentBytes += bytes;
  }

  get spent(): number {
    this.roll();
    return this.spentBytes;
  }

  mode(): BudgetMode {
    if (this.budget === undefined) return 'normal';
    const s = this.spent;
    if (s >= this.budget) return 'exhausted';
    return s >= this.budget * this.thinAt ? 'thin' : 'normal';
  }

  private roll(): void {
    const d = new Date(this.clock.now()).toISOString().slice(0, 10);
    if (d !== this.day) {
      this.day = d;
      this.spentBytes = 0;
    }
  }
}
