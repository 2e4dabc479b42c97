/**
 * What the PUBACK watchdog judges by. A message without PUBACK for ackTimeoutMs while connected,
 * and no PUBACK for any other message in that time either, means a broken link that TCP has not
 * noticed (or a broker that dropped it). A slow link still acking its window in order is not
 * broken, however long the last message of a large window waits (64 x 55 kB at 50 kB/s is 70 s).
 */
export class AckProgress {
  /** When the last PUBACK (or the connect) came. */
  private lastAckAt = 0;

  /** A PUBACK came, or a (re)connect (mqtt.js has just re-sent what was in flight). */
  progressed(now: number): void {
    this.lastAckAt = now;
  }

  /** True when no PUBACK came for `timeoutMs` and some message in flight has waited that long. */
  stalled(inFlight: Iterable<{ readonly sentAt?: number }>, now: number, timeoutMs: number): boolean {
    const limit = now - timeoutMs;
    if (this.lastAckAt >= limit) return false;
    for (const b of inFlight) if ((b.sentAt ?? Infinity) < limit) return true;
    return false;
  }
}
