import type { RecordClass } from './config';

/** Plain counters for /metrics and the status line. */
export type OutboxStats = {
  appended: number;
  acked: number;
  released: number;
  /** Records refused by append() (bad class, asset or payload). */
  rejected: number;
  evicted: number;
  gapRecords: number;
  diskFullEvents: number;
  corruptRecovered: number;
  /** Released blocks whose attempts count could not be written (released all the same). */
  attemptsNotCounted: number;
  records: number;
  bytes: number;
  /** Stored blocks (one row per append batch, class and asset). */
  blocks: number;
  capBytes: number;
  leased: number;
  leasedBlocks: number;
  diskFull: number;
  /** 1 while blocks are read ahead on a worker thread (Outbox.enableReadAhead). */
  readAhead: number;
  /** Blocks the read-ahead worker delivered, dropped unused (leased otherwise, or evicted meanwhile), and worker failures. */
  readAheadBlocks: number;
  readAheadDropped: number;
  readAheadFailed: number;
  /** Times lease() stopped short because the next blocks were still being read (the worker fell behind). */
  readAheadWaits: number;
  /** Deletions of acked blocks that failed on the read-ahead worker (the blocks may be sent again after a restart). */
  purgeErrors: number;
} & { [K in `evicted_${RecordClass}` | `backlog_${RecordClass}`]: number };

export type Counters = Omit<OutboxStats, 'records' | 'bytes' | 'blocks' | 'capBytes' | 'leased' | 'leasedBlocks' | 'diskFull' | 'readAhead' | 'readAheadBlocks' | 'readAheadDropped' | 'readAheadFailed' | 'readAheadWaits' | 'purgeErrors' | `backlog_${RecordClass}`>;

export function emptyStats(): Counters {
  return {
    appended: 0,
    acked: 0,
    released: 0,
    rejected: 0,
    evicted: 0,
    gapRecords: 0,
    diskFullEvents: 0,
    corruptRecovered: 0,
    attemptsNotCounted: 0,
    evicted_alarm: 0,
    evicted_gap: 0,
    'evicted_fl-update': 0,
    evicted_event: 0,
    evicted_summary: 0,
    evicted_telemetry: 0,
  };
}
