import { Backoff, type BackoffOptions } from '../core/backoff';
import type { RecordClass } from '../outbox/config';

/** Consecutive refused publishes of one class after which the uplink reports itself unhealthy. */
export const REJECTS_BEFORE_UNHEALTHY = 3;

interface ClassHold {
  readonly backoff: Backoff;
  /** Not leased again before this time (ms, Date.now()). */
  until: number;
  /** Refusals since the last accepted publish of the class. */
  consecutive: number;
  reason: string;
}

/**
 * Per-class pause after the broker refused a publish. MQTT 5 brokers answer a publish they will
 * not take (not authorised 0x87, quota exceeded 0x97, packet too large 0x95, ...) with a failure
 * reason code in the PUBACK, which mqtt.js turns into a publish error. Retrying at once would
 * loop as fast as the broker answers; the class is held on its own jittered exponential backoff
 * instead, while the other classes keep flowing.
 */
export class RejectHold {
  private readonly classes = new Map<RecordClass, ClassHold>();
  /** `publishRejected` and one `publishRejected_<reason>` counter per reason seen (0x87, other). */
  readonly counters: { publishRejected: number; [reason: `publishRejected_${string}`]: number } = { publishRejected: 0 };

  constructor(private readonly backoff: BackoffOptions) {}

  /**
   * Counts a refused publish of `cls` (`code`: the reason code, undefined for a local error) and
   * returns how long the class is held from now. A refusal of a publish sent before the class
   * was held does not lengthen the hold (it is the same attempt).
   */
  rejected(cls: RecordClass, code: number | undefined, now: number): number {
    const reason = code === undefined ? 'other' : `0x${code.toString(16).padStart(2, '0')}`;
    this.counters.publishRejected++;
    const key = `publishRejected_${reason}` as const;
    this.counters[key] = (this.counters[key] ?? 0) + 1;
    let h = this.classes.get(cls);
    if (!h) this.classes.set(cls, (h = { backoff: new Backoff(this.backoff), until: 0, consecutive: 0, reason }));
    h.consecutive++;
    h.reason = reason;
    if (now < h.until) return h.until - now;
    h.until = now + h.backoff.next();
    return h.until - now;
  }

  /** A publish of `cls` was acknowledged: its backoff starts over. */
  accepted(cls: RecordClass): void {
    const h = this.classes.get(cls);
    if (!h) return;
    h.backoff.reset();
    h.consecutive = 0;
    h.until = 0;
  }

  /** How long `cls` is still held from `now`, in ms (0: not held). */
  heldFor(cls: RecordClass, now: number): number {
    const h = this.classes.get(cls);
    return h === undefined ? 0 : Math.max(0, h.until - now);
  }

  /** Why the uplink is unhealthy: a class refused REJECTS_BEFORE_UNHEALTHY times in a row, else undefined. */
  problem(): string | undefined {
    const bad = [...this.classes].filter(([, h]) => h.consecutive >= REJECTS_BEFORE_UNHEALTHY);
    if (bad.length === 0) return undefined;
    return bad.map(([cls, h]) => `broker refused the last ${h.consecutive} publishes of class ${cls} (reason ${h.reason}); retrying on a backoff`).join('; ');
  }
}
