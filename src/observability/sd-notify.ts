import type { Logger } from 'pino';

/**
 * systemd's notify protocol (Type=notify): READY=1 once running, WATCHDOG=1 pings at half the
 * WatchdogSec, STOPPING=1 on shutdown. Node has no AF_UNIX datagram sockets, so we use the small
 * native `unix-dgram` addon; it is optional, and without NOTIFY_SOCKET (not under systemd) every
 * call is a no-op.
 */
interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  close(): void;
  on(event: 'error', cb: (err: Error) => void): void;
}
interface UnixDgram {
  createSocket(type: 'unix_dgram'): DgramSocket;
}

export class SdNotify {
  private socket: DgramSocket | undefined;
  private readonly path: string | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  sent = 0;

  constructor(
    private readonly logger: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const p = env.NOTIFY_SOCKET;
    // Abstract sockets are written "@name" in the environment and "\0name" on the wire.
    this.path = p ? (p.startsWith('@') ? `\0${p.slice(1)}` : p) : undefined;
    const usec = Number(env.WATCHDOG_USEC);
    const pidOk = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
    this.watchdogMs = Number.isFinite(usec) && usec > 0 && pidOk ? usec / 1000 : undefined;
  }

  readonly watchdogMs: number | undefined;

  get enabled(): boolean {
    return this.path !== undefined;
  }

  ready(status?: string): void {
    this.send(`READY=1\nMAINPID=${process.pid}${status ? `\nSTATUS=${status}` : ''}`);
    if (this.watchdogMs !== undefined && !this.watchdog) {
      this.watchdog = setInterval(() => this.send('WATCHDOG=1'), Math.max(100, this.watchdogMs / 2));
      this.watchdog.unref();
    }
  }

  status(text: string): void {
    this.send(`STATUS=${text}`);
  }

  stopping(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.send('STOPPING=1');
  }

  close(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.socket?.close();
    this.socket = undefined;
  }

  private send(msg: string): void {
    if (!this.path) return;
    if (!this.socket) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require('unix-dgram') as UnixDgram;
        this.socket = mod.createSocket('unix_dgram');
        this.socket.on('error', (e) => this.logger.warn({ err: e.message }, 'sd_notify socket error'));
      } catch (e) {
        this.logger.warn({ err: (e as Error).message }, 'sd_notify unavailable (unix-dgram not built); systemd will not see READY');
        return;
      }
    }
    const buf = Buffer.from(msg);
    this.socket.send(buf, 0, buf.length, this.path, (err) => {
      if (err) this.logger.warn({ err: err.message }, 'sd_notify send failed');
    });
    this.sent++;
  }
}
