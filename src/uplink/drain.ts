import type { RecordClass } from '../outbox/config';
import type { OutboxBlock } from '../outbox/types';

export interface Batch {
  readonly cls: RecordClass;
  readonly asset: string;
  readonly blocks: OutboxBlock[];
  /** Records in the blocks. */
  records: number;
  /** Encoded bytes of the blocks' bodies. */
  bytes: number;
}

/**
 * Groups leased blocks (alarms first, key order within each class) into messages of one class
 * and asset, each at most `maxRecords` records and `maxBytes` of bodies (a single larger block
 * goes alone). Batches come out in the order of their first block, so each topic's records stay
 * in sequence.
 */
export function toBatches(blocks: readonly OutboxBlock[], maxRecords: number, maxBytes: number): Batch[] {
  const open = new Map<RecordClass, Map<string, Batch>>();
  const out: Batch[] = [];
  for (const b of blocks) {
    let byAsset = open.get(b.cls);
    if (!byAsset) open.set(b.cls, (byAsset = new Map()));
    const size = b.body.length + 1;
    let cur = byAsset.get(b.asset);
    if (!cur || (cur.blocks.length > 0 && (cur.records + b.count > maxRecords || cur.bytes + size > maxBytes))) {
      cur = { cls: b.cls, asset: b.asset, blocks: [], records: 0, bytes: 0 };
      byAsset.set(b.asset, cur);
      out.push(cur);
    }
    cur.blocks.push(b);
    cur.records += b.count;
    cur.bytes += size;
  }
  return out;
}
