import type { LinkState } from '../core/lifecycle';
import type { BudgetMode } from './rate-limit';

/** The uplink's counters (the gateway exports them as metrics). */
export interface UplinkStats {
  state: LinkState;
  recordsSent: number;
  messagesSent: number;
  bytesSent: number;
  errors: number;
  backlog: number;
  inflight: number;
  /** The in-flight window in force: `inflight` from the config, lowered to the broker's Receive Maximum (MQTT 5). */
  inflightLimit: number;
  /** The most messages ever in flight at once (a window always full suggests a larger one). */
  inflightPeak: number;
  queued: number;
  connects: number;
  disconnects: number;
  rateLimited: number;
  budgetMode: BudgetMode;
  budgetSpentBytes: number;
  droppedForBudget: number;
  ackTimeouts: number;
  /** Messages re-framed into smaller ones to fit the broker's Maximum Packet Size (see PacketLimit). */
  messagesSplit: number;
  /** Publishes the broker refused (MQTT 5 PUBACK reason code >= 0x80) or mqtt.js failed to send; their class is held on a backoff. */
  publishRejected: number;
  /** The same per reason: `publishRejected_0x87` (not authorised), `_0x97` (quota exceeded), `_0x95` (packet too large), `_other` (no reason code). */
  [reason: `publishRejected_${string}`]: number;
  commands: number;
  commandsRejected: number;
  commandsMalformed: number;
  commandsFailed: number;
}
