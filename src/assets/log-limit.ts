import type { Clock } from '../core/clock';

/**
 * Bad input can arrive thousands of times a second; the first occurrence of each kind is logged
 * at once, repeats at most once per interval with the count suppressed meanwhile.
 */
export class LogLimiter {
  private readonly seen = new Map<string, { at: number; suppressed: number }>();
  constructor(private readonly clock: Clock, private readonly intervalMs = 60_000) {}

  /** Returns the number of suppressed repeats to mention, or undefined to stay quiet. */
  check(key: string): number | undefined {
    const now = this.clock.now();
    const s = this.seen.get(key);
    if (!s) {
      if (this.seen.size > 10_000) this.seen.clear();
      this.seen.set(key, { at: now, suppressed: 0 });
      return 0;
    }
    if (now - s.at >= this.intervalMs) {
      const n = s.suppressed;
      s.at = now;
      s.suppressed = 0;
      return n;
    }
    s.suppressed++;
    return undefined;
  }
}
