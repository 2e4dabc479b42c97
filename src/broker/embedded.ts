import { createServer, type Server, type Socket } from 'node:net';
import { createBroker, type AedesOptions } from 'aedes';
import type Aedes from 'aedes';
import type { Logger } from '../observability/logger';
import type { LinkState, Module, ModuleHealth } from '../core/lifecycle';
import { FatalError, errorMessage } from '../core/errors';

export interface EmbeddedBrokerOptions {
  readonly host: string;
  /** 0 picks a free port; after the first start the same port is kept across restarts. */
  readonly port: number;
  readonly logger: Logger;
}

export interface EmbeddedBrokerStats {
  readonly state: LinkState;
  readonly clients: number;
  readonly published: number;
  readonly starts: number;
}

/**
 * An aedes MQTT 3.1.1 broker on a TCP port, standing in for the cloud broker in the demo and in
 * tests. Sessions and queued QoS 1 messages live in aedes' memory persistence, which this object
 * keeps across stop()/start(), so a restart behaves like a broker with persistence enabled.
 * aedes speaks MQTT 3.1.1 only: clients must use protocolVersion 4.
 */
export class EmbeddedBroker implements Module {
  readonly name = 'broker';
  private aedes?: Aedes;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private persistence: AedesOptions['persistence'];
  private actualPort: number;
  private state: LinkState = 'stopped';
  private published = 0;
  private starts = 0;

  constructor(private readonly opts: EmbeddedBrokerOptions) {
    this.actualPort = opts.port;
  }

  /** The listening port (the chosen one when configured as 0). */
  get port(): number {
    return this.actualPort;
  }

  get url(): string {
    return `mqtt://${this.opts.host}:${this.actualPort}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    this.state = 'starting';
    const aedes = createBroker(this.persistence ? { persistence: this.persistence } : {});
    this.persistence = (aedes as unknown as { persistence: AedesOptions['persistence'] }).persistence;
    aedes.on('publish', (_p, client) => {
      if (client) this.published++;
    });
    aedes.on('clientError', (client, err) => this.opts.logger.debug({ client: client.id, err: errorMessage(err) }, 'broker: client error'));
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      aedes.handle(socket);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.actualPort, this.opts.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      await new Promise<void>((r) => aedes.close(() => r()));
      this.state = 'down';
      throw new FatalError(`broker ${this.opts.host}:${this.actualPort}`, `cannot listen: ${errorMessage(e)}`, { cause: e });
    }
    const addr = server.address();
    if (addr && typeof addr === 'object') this.actualPort = addr.port;
    this.aedes = aedes;
    this.server = server;
    this.state = 'up';
    this.starts++;
    this.opts.logger.info({ url: this.url }, 'broker: listening');
  }

  async stop(): Promise<void> {
    const { aedes, server } = this;
    if (!server || !aedes) return;
    this.aedes = undefined;
    this.server = undefined;
    const closed = new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => aedes.close(() => r()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
    this.state = 'stopped';
    this.opts.logger.info({ url: this.url }, 'broker: stopped');
  }

  health(): ModuleHealth {
    return this.state === 'up' ? { healthy: true, state: 'up' } : { healthy: false, state: this.state, detail: `broker ${this.url} is ${this.state}` };
  }

  stats(): EmbeddedBrokerStats {
    return { state: this.state, clients: this.aedes?.connectedClients ?? 0, published: this.published, starts: this.starts };
  }
}
