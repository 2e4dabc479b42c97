import { RECORD_CLASSES, type RecordClass } from './config';

type PerClass<T> = Record<RecordClass, T>;
export function perClass<T>(make: () => T): PerClass<T> {
  return Object.fromEntries(RECORD_CLASSES.map((c) => [c, make()])) as PerClass<T>;
}

interface Leased {
  readonly n: number;
  readonly bytes: number;
}

/**
 * In-memory lease state of blocks, per class. Invariant: every stored block at or below `cursor`
 * is leased, queued for a retry, or acked; above it nothing was leased since start. Acked blocks
 * are deleted lazily, in one key range below the lowest block still leased or queued (`purge`),
 * so a drain costs one range DELETE per ack transaction.
 */
export class LeaseBook {
  readonly cursor = perClass(() => 0);
  /** Released keys, ascending: offered again before anything above the cursor. */
  readonly retry = perClass<number[]>(() => []);
  /** Leased key -> its records and bytes, in lease order (ascending, except re-leased retries). */
  readonly leased = perClass(() => new Map<number, Leased>());
  /** Records in leased blocks. */
  readonly leasedRecords = perClass(() => 0);
  /** Leased keys that came from `retry` (they may lie below the map's first key). */
  private readonly reLeased = perClass(() => new Set<number>());
  /** Acked keys whose rows are not deleted yet. */
  readonly acked = perClass(() => new Set<number>());
  private readonly purged = perClass(() => 0);

  take(cls: RecordClass, key: number, n: number, bytes: number, fromRetry: boolean): void {
    this.leased[cls].set(key, { n, bytes });
    this.leasedRecords[cls] += n;
    if (fromRetry) this.reLeased[cls].add(key);
    else this.cursor[cls] = key;
  }

  isLeased(cls: RecordClass, key: number): boolean {
    return this.leased[cls].has(key);
  }

  /** Marks a leased block acked; returns its records and bytes. */
  ack(cls: RecordClass, key: number): Leased {
    const l = this.untake(cls, key);
    this.acked[cls].add(key);
    return l;
  }

  release(cls: RecordClass, key: number): void {
    this.untake(cls, key);
    const a = this.retry[cls];
    let i = a.length;
    while (i > 0 && a[i - 1]! > key) i--;
    a.splice(i, 0, key);
  }

  /** A new bound when it moved: every block of the class below it is acked and may be deleted. */
  purge(cls: RecordClass): number | undefined {
    let low = this.cursor[cls] + 1;
    const first = this.leased[cls].keys().next();
    if (!first.done) low = Math.min(low, first.value);
    for (const k of this.reLeased[cls]) low = Math.min(low, k);
    if (this.retry[cls].length > 0) low = Math.min(low, this.retry[cls][0]!);
    if (low <= this.purged[cls]) return undefined;
    this.purged[cls] = low;
    for (const k of this.acked[cls]) if (k < low) this.acked[cls].delete(k);
    return low;
  }

  reset(): void {
    for (const c of RECORD_CLASSES) {
      this.cursor[c] = 0;
      this.retry[c] = [];
      this.leased[c].clear();
      this.leasedRecords[c] = 0;
      this.reLeased[c].clear();
      this.acked[c].clear();
      this.purged[c] = 0;
    }
  }

  private untake(cls: RecordClass, key: number): Leased {
    const l = this.leased[cls].get(key)!;
    this.leased[cls].delete(key);
    this.reLeased[cls].delete(key);
    this.leasedRecords[cls] -= l.n;
    return l;
  }
}
