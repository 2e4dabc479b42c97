import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy that can lose traffic: `hold()` drops everything the current clients send from
 * then on (a link that died silently), `cut()` resets every connection. It produces the faults a
 * healthy broker cannot. New connections are never held.
 */
export class LossyProxy {
  private server?: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly held = new WeakSet<Socket>();
  port = 0;

  constructor(private readonly targetPort: number) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after `down()`): the broker is reachable. */
  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.on('data', (d) => {
        if (!this.held.has(client)) upstream.write(d);
      });
      upstream.on('data', (d) => client.write(d));
      const close = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close);
      upstream.on('close', close);
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    const a = server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    this.server = server;
  }

  hold(): void {
    for (const [c] of this.pairs) this.held.add(c);
  }

  /** Resets every connection. */
  cut(): void {
    for (const [c, u] of this.pairs) {
      c.resetAndDestroy();
      u.destroy();
    }
    this.pairs.clear();
  }

  /** Unreachable: connections reset, new ones refused, until `start()`. */
  async stop(): Promise<void> {
    this.cut();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
