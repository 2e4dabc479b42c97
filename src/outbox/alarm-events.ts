import { errorMessage } from '../core/errors';
import type { Logger } from '../observability/logger';
import type { Outbox } from './outbox';

/** Asset of the event records that report the gateway's own troubles. */
export const GATEWAY_ASSET = 'gateway';
/** Alarms waiting to be stored at most (a storm of them keeps the first ones). */
const MAX_PENDING = 100;

/** Payload of the `event` record an outbox alarm becomes. */
export interface OutboxAlarmEvent {
  readonly kind: 'outbox-alarm';
  readonly detail: string;
}

/**
 * Stores each outbox `alarm` (a corrupt file moved aside, a full disk) as an `event` record of
 * asset `gateway`, so the cloud learns of it, not only the local logs and metrics. Stored on
 * the next turn of the event loop: a full-disk alarm is raised inside an append, which must not
 * be re-entered. An alarm raised while storing one of these records is
 * not forwarded again, so a disk that stays full cannot loop. Returns the unsubscribe function.
 */
export function forwardOutboxAlarms(outbox: Outbox, logger: Logger): () => void {
  const pending: string[] = [];
  let storing = false;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const details = pending.splice(0);
    storing = true;
    try {
      outbox.append(details.map((detail) => ({ cls: 'event', asset: GATEWAY_ASSET, payload: { kind: 'outbox-alarm', detail } satisfies OutboxAlarmEvent })));
    } catch (e) {
      logger.error({ err: errorMessage(e), alarms: details.length }, 'outbox: could not store the outbox alarm as an event record (it is in this log only)');
    } finally {
      storing = false;
    }
  };
  const onAlarm = (detail: string) => {
    if (storing || pending.length >= MAX_PENDING) return;
    pending.push(detail);
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  outbox.on('alarm', onAlarm);
  return () => outbox.off('alarm', onAlarm);
}
