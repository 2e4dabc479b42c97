import { createServer, type Server, type Socket, connect } from 'node:net';

/**
 * A TCP proxy that can cut the line: `cut()` destroys every connection and refuses new ones
 * (accepts and drops them at once), `restore()` forwards again. Stands in for a network outage.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Socket>();
  private down = false;
  connections = 0;

  constructor(
    readonly port: number,
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  start(): Promise<void> {
    const server = createServer((client) => {
      if (this.down) {
        client.destroy();
        return;
      }
      this.connections++;
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.pairs.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.pairs.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    return new Promise((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
  }

  cut(): void {
    this.down = true;
    for (const s of this.pairs) s.destroy();
  }

  restore(): void {
    this.down = false;
  }

  get open(): number {
    return this.pairs.size / 2;
  }

  stop(): Promise<void> {
    this.cut();
    const s = this.server;
    this.server = undefined;
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}
