import { RECORD_CLASSES, type RecordClass } from './config';

type PerClass<T> = Record<RecordClass, T>;
export function perClass<T>(make: () => T): PerClass<T> {
  return Object.fromEntries(RECORD_CLASSES.map((c) => [c, make()])) as PerClass<T>;
}

/**
 * In-memory lease state per class. Invariant: every stored record at or below `cursor` is
 * leased, queued for a retry, or acked; above it nothing was leased since start. Acked rows are
 * deleted lazily, in one rowid range below the lowest record still leased or queued (`purge`),
 * so a drain costs one range DELETE per message instead of one DELETE per record.
 */
export class LeaseBook {
  readonly cursor = perClass(() => 0);
  /** Released seqs, ascending: offered again before anything above the cursor. */
  readonly retry = perClass<number[]>(() => []);
  /** Leased seq -> accounted bytes, in lease order (ascending, except re-leased retries). */
  readonly leased = perClass(() => new Map<number, number>());
  /** Leased seqs that came from `retry` (they may lie below the map's first key). */
  private readonly reLeased = perClass(() => new Set<number>());
  /** Acked seqs whose rows are not deleted yet. */
  readonly acked = perClass(() => new Set<number>());
  private readonly purged = perClass(() => 0);
  private lastClass: RecordClass = 'telemetry';

  take(cls: RecordClass, seq: number, bytes: number, fromRetry: boolean): void {
    this.leased[cls].set(seq, bytes);
    if (fromRetry) this.reLeased[cls].add(seq);
    else this.cursor[cls] = seq;
  }

  /** The class a seq is leased in; acks come in runs of one class, so the last hit is tried first. */
  classOf(seq: number): RecordClass | undefined {
    if (this.leased[this.lastClass].has(seq)) return this.lastClass;
    for (const c of RECORD_CLASSES) {
      if (this.leased[c].has(seq)) {
        this.lastClass = c;
        return c;
      }
    }
    return undefined;
  }

  isAcked(seq: number): boolean {
    return RECORD_CLASSES.some((c) => this.acked[c].has(seq));
  }

  /** Marks a leased record acked; returns its bytes. */
  ack(cls: RecordClass, seq: number): number {
    const bytes = this.leased[cls].get(seq)!;
    this.leased[cls].delete(seq);
    this.reLeased[cls].delete(seq);
    this.acked[cls].add(seq);
    return bytes;
  }

  release(cls: RecordClass, seq: number): void {
    this.leased[cls].delete(seq);
    this.reLeased[cls].delete(seq);
    const a = this.retry[cls];
    let i = a.length;
    while (i > 0 && a[i - 1]! > seq) i--;
    a.splice(i, 0, seq);
  }

  /** A new bound when it moved: every row of the class below it is acked and may be deleted. */
  purge(cls: RecordClass): number | undefined {
    let low = this.cursor[cls] + 1;
    const first = this.leased[cls].keys().next();
    if (!first.done) low = Math.min(low, first.value);
    for (const s of this.reLeased[cls]) low = Math.min(low, s);
    if (this.retry[cls].length > 0) low = Math.min(low, this.retry[cls][0]!);
    if (low <= this.purged[cls]) return undefined;
    this.purged[cls] = low;
    for (const s of this.acked[cls]) if (s < low) this.acked[cls].delete(s);
    return low;
  }

  reset(): void {
    for (const c of RECORD_CLASSES) {
      this.cursor[c] = 0;
      this.retry[c] = [];
      this.leased[c].clear();
      this.reLeased[c].clear();
      this.acked[c].clear();
      this.purged[c] = 0;
    }
  }
}
