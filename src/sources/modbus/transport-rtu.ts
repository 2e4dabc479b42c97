import ModbusRTU from 'modbus-serial';
import { classifyModbusSerialError, ModbusRequestError } from './errors';
import { FUNCTION_CODE, isBitArea, type ModbusArea } from './planner';
import type { FrameCounters, ModbusTransport } from './transport';
import type { ModbusSourceConfig } from './config';

type SerialSettings = NonNullable<ModbusSourceConfig['serial']>;

/**
 * Modbus RTU on a serial line through modbus-serial's buffered RTU port. All unit ids of the line
 * share it; the poller serialises requests, as RTU requires. A bad frame from one slave costs only
 * its read (the next request starts with an empty buffer); the port is reopened only when it closes
 * (the adapter or pty went away), with the source's backoff.
 */
export class RtuTransport implements ModbusTransport {
  readonly endpoint: string;
  readonly counters: FrameCounters = { unmatchedResponses: 0, garbageBytes: 0 };
  private client: ModbusRTU | undefined;
  private closeListener: ((reason: string) => void) | undefined;

  constructor(private readonly serial: SerialSettings) {
    this.endpoint = `rtu:${serial.path}`;
  }

  get isOpen(): boolean {
    return this.client?.isOpen === true;
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListener = listener;
  }

  async open(timeoutMs: number): Promise<void> {
    await this.close();
    const client = new ModbusRTU();
    client.on('error', () => undefined);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connectRTUBuffered(this.serial.path, {
          baudRate: this.serial.baudRate,
          parity: this.serial.parity,
          dataBits: this.serial.dataBits,
          stopBits: this.serial.stopBits,
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`open timeout after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (e) {
      await closeClient(client);
      throw new ModbusRequestError('disconnected', `cannot open ${this.serial.path}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.closeListener?.('serial port closed');
    });
    this.client = client;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await closeClient(client);
  }

  async read(unitId: number, area: ModbusArea, start: number, count: number, timeoutMs: number): Promise<Buffer | boolean[]> {
    const client = this.client;
    if (!client || !client.isOpen) throw new ModbusRequestError('disconnected', 'serial port not open');
    const port = bufferedPort(client);
    if (port) port._buffer = Buffer.alloc(0); // see bufferedPort()
    try {
      return await clientRead(client, unitId, area, start, count, timeoutMs);
    } catch (e) {
      throw this.explainTimeout(e as ModbusRequestError, port, unitId, area, count);
    }
  }

  /**
   * A timeout after bytes did arrive is a frame fault, not a silent slave: the port's buffer
   * holds what came and never made an answer (a frame that stopped halfway, or garbage).
   */
  private explainTimeout(e: ModbusRequestError, port: BufferedPort | undefined, unitId: number, area: ModbusArea, count: number): ModbusRequestError {
    const rx = port?._buffer;
    if (e.kind !== 'timeout' || !rx || rx.length === 0) return e;
    this.counters.garbageBytes += rx.length;
    const fc = FUNCTION_CODE[area];
    for (let i = 0; i + 1 < rx.length; i++) {
      if (rx[i] === unitId && (rx[i + 1] === fc || rx[i + 1] === (fc | 0x80))) {
        const expected = 5 + (isBitArea(area) ? Math.ceil(count / 8) : 2 * count); // unit, fc, byte count, data, CRC
        return new ModbusRequestError('frame', `incomplete response (${rx.length - i} of ${expected} bytes, then silence)`);
      }
    }
    if (rx.length >= 5 && (rx[1] === fc || rx[1] === (fc | 0x80))) {
      return new ModbusRequestError('frame', `response from unit ${rx[0]}, not unit ${unitId} (${rx.length} bytes)`);
    }
    return new ModbusRequestError('frame', `garbage response (${rx.length} bytes, no frame from unit ${unitId})`);
  }
}

/** One read through modbus-serial's client API, errors classified. */
async function clientRead(
  client: ModbusRTU,
  unitId: number,
  area: ModbusArea,
  start: number,
  count: number,
  timeoutMs: number,
): Promise<Buffer | boolean[]> {
  client.setID(unitId);
  client.setTimeout(timeoutMs);
  try {
    switch (area) {
      case 'holding':
        return (await client.readHoldingRegisters(start, count)).buffer;
      case 'input':
        return (await client.readInputRegisters(start, count)).buffer;
      case 'coil':
        return (await client.readCoils(start, count)).data.slice(0, count);
      case 'discrete':
        return (await client.readDiscreteInputs(start, count)).data.slice(0, count);
    }
  } catch (e) {
    throw classifyModbusSerialError(e);
  }
}

interface BufferedPort {
  _buffer: Buffer;
}

/**
 * modbus-serial's buffered RTU port keeps received bytes until they form the answer it waits for.
 * Bytes of an answer that came after its timeout could match the next request with the same unit
 * id and function, so the buffer is cleared before each request; after a timeout, what is left
 * in it tells a slave that said nothing from one that sent a broken frame. `_port._buffer` is
 * internal: checked, and both uses are no-ops if a later version renames it.
 */
function bufferedPort(client: ModbusRTU): BufferedPort | undefined {
  const port = (client as unknown as { _port?: { _buffer?: unknown } })._port;
  return port && Buffer.isBuffer(port._buffer) ? (port as BufferedPort) : undefined;
}

function closeClient(client: ModbusRTU): Promise<void> {
  return new Promise((resolve) => {
    try {
      client.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
