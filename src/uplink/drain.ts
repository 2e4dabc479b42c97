import type { RecordClass } from '../outbox/config';
import type { OutboxRecord } from '../outbox/types';
import { encodedSize } from './codec';

export interface Batch {
  readonly cls: RecordClass;
  readonly asset: string;
  readonly records: OutboxRecord[];
}

/**
 * Splits leased records (alarms first, sequence order within each class) into batches of one
 * class and asset, each at most `maxRecords` records and about `maxBytes`. Batches come out in
 * the order of their first record, so each topic's records stay in sequence.
 */
export function toBatches(records: readonly OutboxRecord[], maxRecords: number, maxBytes: number): Batch[] {
  const open = new Map<RecordClass, Map<string, { batch: Batch; bytes: number }>>();
  const out: Batch[] = [];
  for (const r of records) {
    let byAsset = open.get(r.cls);
    if (!byAsset) open.set(r.cls, (byAsset = new Map()));
    const size = encodedSize(r);
    let cur = byAsset.get(r.asset);
    if (!cur || cur.batch.records.length >= maxRecords || (cur.bytes + size > maxBytes && cur.batch.records.length > 0)) {
      cur = { batch: { cls: r.cls, asset: r.asset, records: [] }, bytes: 0 };
      byAsset.set(r.asset, cur);
      out.push(cur.batch);
    }
    cur.batch.records.push(r);
    cur.bytes += size;
  }
  return out;
}
