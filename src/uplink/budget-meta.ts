import { errorMessage } from '../core/errors';
import type { Logger } from '../observability/logger';
import type { Outbox } from '../outbox/outbox';
import type { DailyBudget } from './rate-limit';

/** Outbox meta keys of the persisted daily budget. */
const BUDGET_DAY = 'uplink_budget_day';
const BUDGET_SPENT = 'uplink_budget_spent';

/** The budget's count as outbox meta, written in the same transaction as the acks it follows. */
export function budgetMeta(b: { day: number; spent: number }): Record<string, number> {
  return { [BUDGET_DAY]: b.day, [BUDGET_SPENT]: b.spent };
}

/** Takes over the day's budget count persisted by an earlier run (a restart must not reset a cellular budget). */
export function restoreBudget(budget: DailyBudget, outbox: Outbox, logger: Logger): void {
  if (!budget.enabled) return;
  try {
    const day = outbox.meta(BUDGET_DAY);
    const spent = outbox.meta(BUDGET_SPENT);
    if (day !== undefined && spent !== undefined) budget.restore(day, spent);
  } catch (e) {
    logger.warn({ err: errorMessage(e) }, 'uplink: cannot read the persisted data budget (outbox not open?); counting from 0');
  }
}
