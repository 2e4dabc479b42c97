/**
 * What went wrong with one Modbus request, classified by what the poller does next:
 * - exception: the device answered with an exception code -> tags bad, connection fine;
 * - timeout: no answer in time -> retry, then tags bad;
 * - frame: bytes arrived that were not a valid answer to our request (short or garbage frame,
 *   wrong transaction id, unit id or function code, CRC) -> tags bad; on TCP the stream is out of
 *   step: reconnect (a serial line starts clean at the next request);
 * - disconnected: the connection or port is gone -> reconnect with backoff.
 */
export type ModbusFailureKind = 'exception' | 'timeout' | 'frame' | 'disconnected';

/** Exception codes of the Modbus application protocol spec (section 7). */
export const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'ILLEGAL FUNCTION',
  2: 'ILLEGAL DATA ADDRESS',
  3: 'ILLEGAL DATA VALUE',
  4: 'SERVER DEVICE FAILURE',
  5: 'ACKNOWLEDGE',
  6: 'SERVER DEVICE BUSY',
  8: 'MEMORY PARITY ERROR',
  10: 'GATEWAY PATH UNAVAILABLE',
  11: 'GATEWAY TARGET DEVICE FAILED TO RESPOND',
};

/**
 * Status codes in `Sample.status.code` for failures that are not Modbus exceptions (exceptions
 * keep their own code 1..11), so a dashboard can tell them apart.
 */
export const MODBUS_STATUS = { timeout: 256, frame: 257, disconnected: 258 } as const;

export class ModbusRequestError extends Error {
  constructor(
    readonly kind: ModbusFailureKind,
    message: string,
    readonly exceptionCode?: number,
  ) {
    super(message);
    this.name = 'ModbusRequestError';
  }

  /** The status a tag carries when this failure made it bad. */
  get status(): { code: number; text: string } {
    if (this.kind === 'exception' && this.exceptionCode !== undefined) {
      return { code: this.exceptionCode, text: this.message };
    }
    return { code: MODBUS_STATUS[this.kind as Exclude<ModbusFailureKind, 'exception'>], text: this.message };
  }
}

export function exceptionText(code: number): string {
  return `Modbus exception ${code} (${MODBUS_EXCEPTIONS[code] ?? 'UNKNOWN EXCEPTION'})`;
}

/** modbus-serial reports everything as Error with a message; turn it into our classes. */
export function classifyModbusSerialError(e: unknown): ModbusRequestError {
  const err = e as { message?: string; modbusCode?: number; errno?: string; name?: string };
  const msg = err?.message ?? String(e);
  if (typeof err?.modbusCode === 'number') return new ModbusRequestError('exception', exceptionText(err.modbusCode), err.modbusCode);
  if (err?.errno === 'ETIMEDOUT' || err?.name === 'TransactionTimedOutError' || /timed out/i.test(msg)) {
    return new ModbusRequestError('timeout', 'no response (timeout)');
  }
  if (/Port Not Open/i.test(msg) || err?.name === 'PortNotOpenError') return new ModbusRequestError('disconnected', 'connection not open');
  if (/Data length error|CRC error|Unexpected data error|out of range|Index out of range|outside buffer/i.test(msg)) {
    return new ModbusRequestError('frame', `bad response frame: ${msg}`);
  }
  return new ModbusRequestError('frame', `request failed: ${msg}`);
}
