import type { RecordClass } from './config';
import type { ClassStatements } from './statements';

/** A block being built: records of one class and asset, in sequence order. */
export interface NewBlock {
  readonly key: number;
  readonly cls: RecordClass;
  readonly asset: string;
  readonly created: number;
  n: number;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  firstTs: number;
  lastTs: number;
  attempts: number;
  /** Encoded records (see body.ts) and their total length in UTF-16 units. */
  readonly parts: string[];
  len: number;
}

export interface BlockLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

/**
 * Groups records, in sequence order, into blocks per class and asset, each at most
 * `maxRecords` records and about `maxBytes` encoded. `blocks` comes out in key order.
 */
export class BlockBuilder {
  readonly blocks: NewBlock[] = [];
  private readonly open = new Map<RecordClass, Map<string, NewBlock>>();
  private last?: NewBlock;

  constructor(private readonly limits: BlockLimits) {}

  add(cls: RecordClass, asset: string, seq: number, ts: number, frag: string, bytes: number, created: number, attempts = 0): void {
    let b = this.last !== undefined && this.last.cls === cls && this.last.asset === asset ? this.last : this.open.get(cls)?.get(asset);
    if (b === undefined || b.n >= this.limits.maxRecords || b.len + frag.length + 1 > this.limits.maxBytes || b.created !== created) {
      b = { key: seq, cls, asset, created, n: 0, bytes: 0, firstSeq: seq, lastSeq: seq, firstTs: ts, lastTs: ts, attempts: 0, parts: [], len: 0 };
      let byAsset = this.open.get(cls);
      if (!byAsset) this.open.set(cls, (byAsset = new Map()));
      byAsset.set(asset, b);
      this.blocks.push(b);
    }
    this.last = b;
    b.parts.push(frag);
    b.len += frag.length + 1;
    b.n++;
    b.bytes += bytes;
    b.lastSeq = seq;
    if (ts < b.firstTs) b.firstTs = ts;
    if (ts > b.lastTs) b.lastTs = ts;
    if (attempts > b.attempts) b.attempts = attempts;
  }

  /** Removes and returns the blocks no longer open for more records (all of them with `all`). */
  takeClosed(all = false): NewBlock[] {
    const isOpen = (b: NewBlock) => !all && this.open.get(b.cls)?.get(b.asset) === b;
    const closed = this.blocks.filter((b) => !isOpen(b));
    const open = this.blocks.filter(isOpen);
    this.blocks.length = 0;
    this.blocks.push(...open);
    if (all) {
      this.open.clear();
      this.last = undefined;
    }
    return closed;
  }
}

/** Inserts built blocks (inside the caller's transaction). */
export function insertBlocks(byClass: Readonly<Record<RecordClass, ClassStatements>>, blocks: readonly NewBlock[]): void {
  for (const b of blocks) {
    byClass[b.cls].insert.run(b.key, b.asset, b.n, b.bytes, b.firstSeq, b.lastSeq, b.firstTs, b.lastTs, b.created, Buffer.from(b.parts.join(',')));
  }
}
