import type { ModbusArea } from './planner';

/** Counters of one connection's misbehaviour, per kind, for stats() and the logs. */
export interface FrameCounters {
  unmatchedResponses: number;
  garbageBytes: number;
}

/**
 * One Modbus connection (a TCP socket or a serial line). Requests are serialised by the poller;
 * `read` resolves with register bytes (2 per register, as on the wire) or bit values, and rejects
 * with a ModbusRequestError.
 */
export interface ModbusTransport {
  /** tcp://host:port or rtu:/dev/ttyX, for messages. */
  readonly endpoint: string;
  readonly isOpen: boolean;
  readonly counters: FrameCounters;
  open(timeoutMs: number): Promise<void>;
  /** Release every handle; safe to call twice. */
  close(): Promise<void>;
  /** Called once when an open connection goes away by itself. */
  onClose(listener: (reason: string) => void): void;
  read(unitId: number, area: ModbusArea, start: number, count: number, timeoutMs: number): Promise<Buffer | boolean[]>;
}
