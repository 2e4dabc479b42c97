import { createServer, type Server, type Socket, connect } from 'node:net';

/**
 * A TCP proxy that can cut the line: `cut()` destroys every connection and refuses new ones
 * (accepts and drops them at once), `restore()` forwards again. Stands in for a network outage.
 * `blackhole()` is the silent kind (a firewall or route that drops packets): open connections
 * stop carrying bytes without being closed, new ones are accepted and never answered. After
 * `restore()` new connections forward again; the black-holed ones stay silent (as after a
 * firewall that lost its connection state), so the client has to notice by itself.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Socket>();
  private down = false;
  private silent = false;
  /** Sockets that swallow everything and never close by themselves (blackhole). */
  private readonly held = new Set<Socket>();
  connections = 0;
  /** Connections accepted into the black hole (new ones while it lasts). */
  heldConnections = 0;

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
      if (this.silent) {
        this.heldConnections++;
        this.hold(client);
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

  /** From now on nothing passes, and nothing is closed (see the class comment). */
  blackhole(): void {
    this.silent = true;
    for (const s of this.pairs) {
      s.unpipe();
      this.hold(s);
    }
    this.pairs.clear();
  }

  restore(): void {
    this.down = false;
    this.silent = false;
  }

  private hold(s: Socket): void {
    this.held.add(s);
    s.on('error', () => undefined);
    s.on('data', () => undefined); // read and drop: the peer's writes never back up
    s.on('close', () => this.held.delete(s));
  }

  get open(): number {
    return this.pairs.size / 2;
  }

  stop(): Promise<void> {
    this.cut();
    for (const s of this.held) s.destroy();
    const s = this.server;
    this.server = undefined;
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}
