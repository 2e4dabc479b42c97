import { errorMessage } from '../core/errors';
import type { Logger } from '../observability/logger';
import type { Outbox } from '../outbox/outbox';
import type { BlockRef } from '../outbox/types';
import { budgetMeta } from './budget-meta';
import type { DailyBudget } from './rate-limit';

/**
 * PUBACKs that arrive together are acked in the outbox in one transaction, which also persists
 * the day's budget count when it changed (so a restart does not reset a cellular budget; a crash
 * loses at most the count since).
 */
export class AckQueue {
  private acks: BlockRef[] = [];

  constructor(
    private readonly outbox: Outbox,
    private readonly budget: DailyBudget,
    private readonly logger: Logger,
    private readonly onError: () => void,
  ) {}

  push(blocks: readonly BlockRef[]): void {
    if (blocks.length === 0) return;
    const first = this.acks.length === 0;
    for (const b of blocks) this.acks.push(b);
    if (first) setImmediate(() => this.flush());
  }

  /** Acks what is queued now; `final` also writes a changed budget count with nothing to ack. */
  flush(final = false): void {
    const budget = this.budget.enabled && this.budget.dirty ? this.budget.snapshot() : undefined;
    if (this.acks.length === 0 && !(final && budget)) return;
    const blocks = this.acks;
    this.acks = [];
    try {
      this.outbox.ack(blocks, budget && budgetMeta(budget));
    } catch (e) {
      this.onError();
      if (budget) this.budget.dirty = true;
      this.logger.error({ err: errorMessage(e), blocks: blocks.length }, 'uplink: outbox ack failed (records will be sent again)');
    }
  }
}
