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

const DAY_MS = 86_400_000;

/**
 * Bytes sent per UTC day against a budget. The count is persisted by the uplink (in the outbox's
 * meta table, with its acks) so a restart does not hand a cellular link a fresh budget.
 */
export class DailyBudget {
  private day = -1;
  private spentBytes = 0;
  /** Spent bytes changed since the last `snapshot()`. */
  dirty = false;
  constructor(
    private readonly budget: number | undefined,
    private readonly thinAt: number,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.budget !== undefined;
  }

  /** Takes over a persisted count; ignored when it is from another day. */
  restore(day: number, spent: number): void {
    this.roll();
    if (day === this.day) this.spentBytes = Math.max(this.spentBytes, spent);
  }

  /** The day (UTC days since the epoch) and its count, to persist; clears `dirty`. */
  snapshot(): { day: number; spent: number } {
    this.roll();
    this.dirty = false;
    return { day: this.day, spent: this.spentBytes };
  }

  spend(bytes: number): void {
    this.roll();
    this.spentBytes += bytes;
    this.dirty = true;
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
    const d = Math.floor(this.clock.now() / DAY_MS);
    if (d !== this.day) {
      this.day = d;
      this.spentBytes = 0;
      this.dirty = true;
    }
  }
}
