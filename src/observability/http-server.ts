import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Module, ModuleHealth } from '../core/lifecycle';
import type { GatewayMetrics } from './metrics';

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly unhealthy: readonly { name: string; state: string; detail?: string }[];
  readonly modules: Readonly<Record<string, ModuleHealth>>;
}

/** `/metrics` (Prometheus text) and `/healthz` (200 when all is healthy, 503 naming what is not). */
export class ObservabilityServer implements Module {
  readonly name = 'http';
  private server: Server | undefined;
  private boundPort = 0;

  constructor(
    private readonly opts: { host: string; port: number; metrics: GatewayMetrics; health: () => HealthReport; logger: Logger },
  ) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const url = req.url?.split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405).end();
        return;
      }
      if (url === '/metrics') {
        this.opts.metrics
          .text()
          .then((t) => res.writeHead(200, { 'content-type': this.opts.metrics.registry.contentType }).end(t))
          .catch((e: unknown) => res.writeHead(500).end(String(e)));
      } else if (url === '/healthz') {
        const h = this.opts.health();
        res.writeHead(h.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(h)}\n`);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('endpoints: /metrics /healthz\n');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`cannot listen on ${this.opts.host}:${this.opts.port}: ${e.message}`)));
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.opts.logger.info({ url: `http://${this.opts.host}:${this.boundPort}` }, 'metrics and health endpoint listening');
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  health(): ModuleHealth {
    return this.server ? { healthy: true, state: 'up' } : { healthy: false, state: 'stopped' };
  }
}
