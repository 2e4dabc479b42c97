export { Outbox, type OutboxOptions, type OutboxEvents } from './outbox';
export { outboxConfig, recordClass, RECORD_CLASSES, type OutboxConfig, type RecordClass } from './config';
export type { NewRecord, OutboxBlock, BlockRef, BodyRecord, GapPayload, GapReason, LeaseOptions } from './types';
export type { OutboxStats } from './stats';
export { recordId, seqOf } from './gap';
export { decodeBody } from './body';
export { forwardOutboxAlarms, GATEWAY_ASSET, type OutboxAlarmEvent } from './alarm-events';
