import ModbusRTU from 'modbus-serial';
import { clientRead } from './client-read';
import { ModbusRequestError } from './errors';
import type { ModbusArea } from './planner';
import type { FrameCounters, ModbusTransport } from './transport';
import type { ModbusSourceConfig } from './config';

type SerialSettings = NonNullable<ModbusSourceConfig['serial']>;

/**
 * Modbus RTU on a serial line through modbus-serial's buffered RTU port. All unit ids of the line
 * share it; the poller serialises requests, as RTU requires.
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
    dropStaleBytes(client);
    return clientRead(client, unitId, area, start, count, timeoutMs);
  }
}

/**
 * modbus-serial's buffered RTU port keeps the bytes of an answer that came after its timeout and
 * could match the next request with the same unit id and function; clear them before each request.
 * (`_port._buffer` is internal: checked, and a no-op if a later version renames it.)
 */
function dropStaleBytes(client: ModbusRTU): void {
  const port = (client as unknown as { _port?: { _buffer?: unknown } })._port;
  if (port && Buffer.isBuffer(port._buffer)) port._buffer = Buffer.alloc(0);
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
