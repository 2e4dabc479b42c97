import { Socket } from 'node:net';
import ModbusRTU from 'modbus-serial';
import { clientRead } from './client-read';
import { ModbusRequestError } from './errors';
import type { ModbusArea } from './planner';
import type { FrameCounters, ModbusTransport } from './transport';

const MBAP = 7; // transaction id, protocol id, length, unit id
const MAX_ADU = 260;

/**
 * Modbus TCP over a socket we own (modbus-serial's linkTCP), so we can bound the connect time,
 * destroy the socket for sure, and watch the raw bytes: modbus-serial silently drops a response
 * whose transaction id does not match and waits forever on a bogus MBAP length. Whatever arrives
 * during a request that did not produce an answer is classified here (unmatched transaction id,
 * garbage), and the poller then reconnects to get the stream back in step.
 */
export class TcpTransport implements ModbusTransport {
  readonly endpoint: string;
  readonly counters: FrameCounters = { unmatchedResponses: 0, garbageBytes: 0 };
  private socket: Socket | undefined;
  private client: ModbusRTU | undefined;
  private closeListener: ((reason: string) => void) | undefined;
  /** Bytes received since the current request was sent (the first 1 KB kept, parsed only on failure). */
  private rx: Buffer[] = [];
  private bytesSinceRequest = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.endpoint = `tcp://${host}:${port}`;
  }

  get isOpen(): boolean {
    return this.client?.isOpen === true && this.socket?.destroyed === false;
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListener = listener;
  }

  async open(timeoutMs: number): Promise<void> {
    await this.close();
    const socket = new Socket();
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ModbusRequestError('disconnected', `connect timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ModbusRequestError('disconnected', e.message));
      });
      socket.once('close', () => {
        clearTimeout(timer);
        reject(new ModbusRequestError('disconnected', 'closed while connecting'));
      });
      socket.connect({ host: this.host, port: this.port }, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    socket.removeAllListeners('error');
    socket.removeAllListeners('close');
    socket.setKeepAlive(true, 10_000);
    socket.on('error', () => undefined); // 'close' follows; reported there
    socket.on('data', (d: Buffer) => this.observe(d));
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.client = undefined;
      this.closeListener?.('connection closed by peer');
    });
    const client = new ModbusRTU();
    client.on('error', () => undefined);
    await client.linkTCP(socket, { port: this.port });
    this.client = client;
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.client = undefined;
    this.rx = [];
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy();
      });
    }
  }

  async read(unitId: number, area: ModbusArea, start: number, count: number, timeoutMs: number): Promise<Buffer | boolean[]> {
    const client = this.client;
    if (!client || !this.isOpen) throw new ModbusRequestError('disconnected', 'connection not open');
    this.bytesSinceRequest = 0;
    this.rx = [];
    try {
      return await clientRead(client, unitId, area, start, count, timeoutMs);
    } catch (e) {
      throw this.explainTimeout(e as ModbusRequestError);
    }
  }

  /** A timeout after bytes did arrive is a frame fault, not a silent device. */
  private explainTimeout(e: ModbusRequestError): ModbusRequestError {
    if (e.kind !== 'timeout' || this.bytesSinceRequest === 0) return e;
    const f = firstFrame(Buffer.concat(this.rx));
    if (f) {
      this.counters.unmatchedResponses++;
      return new ModbusRequestError('frame', `response did not match the request (transaction id ${f.tid}, unit ${f.unit}, function ${f.fc})`);
    }
    this.counters.garbageBytes += this.bytesSinceRequest;
    return new ModbusRequestError('frame', `incomplete or garbage response (${this.bytesSinceRequest} bytes, no valid MBAP frame)`);
  }

  /** Only counts and keeps bytes: the hot path stays cheap; modbus-serial does the real parsing. */
  private observe(d: Buffer): void {
    if (this.bytesSinceRequest < 1024) this.rx.push(d);
    this.bytesSinceRequest += d.length;
  }
}

/** The first complete, plausible MBAP frame in what arrived, to explain a failure. */
function firstFrame(rx: Buffer): { tid: number; unit: number; fc: number } | undefined {
  if (rx.length < MBAP + 1) return undefined;
  const len = rx.readUInt16BE(4);
  if (rx.readUInt16BE(2) !== 0 || len < 2 || len + 6 > MAX_ADU || rx.length < len + 6) return undefined;
  return { tid: rx.readUInt16BE(0), unit: rx[6] as number, fc: rx[7] as number };
}
