import type { BlockRef, OutboxBlock } from '../outbox/types';
import type { Batch } from './drain';
import type { SplitGroup } from './packet-limit';

/** A message queued or in flight. */
export interface Pending extends Omit<Batch, 'blocks'> {
  /** What ack and release need. */
  blocks: readonly BlockRef[];
  /** The leased blocks with their bodies, until encoded (see Uplink.encode()). */
  bodies?: readonly OutboxBlock[];
  payload?: Buffer;
  /** A part of a message split under the broker's packet limit (its `blocks` are then empty). */
  group?: SplitGroup;
}

export function pending(b: Batch): Pending {
  return { cls: b.cls, asset: b.asset, records: b.records, bytes: b.bytes, blocks: b.blocks, bodies: b.blocks };
}

/** A PUBACK for `b`: the blocks to ack now (a split message's when its last part is acked). */
export function blocksDelivered(b: Pending): readonly BlockRef[] {
  const g = b.group;
  if (!g) return b.blocks;
  return --g.left === 0 && !g.failed ? g.blocks : [];
}

/** The blocks to give back for an item that will not be acked: a split group's, once. */
export function blocksToRelease(b: Pending): readonly BlockRef[] {
  const g = b.group;
  if (!g) return b.blocks;
  if (g.failed) return [];
  g.failed = true;
  return g.blocks;
}
