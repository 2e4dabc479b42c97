import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from './observability/logger';
import type { LoadedConfig } from './config/load';
import type { Module, ModuleHealth } from './core/lifecycle';
import type { Source } from './core/source';
import { ModuleRunner } from './core/module-runner';
import { createSource } from './sources';
import { AssetPipeline, SampleRouter } from './assets';
import { channelUnits, sourceTagUnits } from './assets/channel-units';
import { HealthBoard } from './health/health-board';
import { ackCommand } from './uplink/ack-command';
import { Outbox, forwardOutboxAlarms, type NewRecord } from './outbox';
import { errorMessage } from './core/errors';
import { ModelService } from './models/service';
import { Uplink } from './uplink';
import { EmbeddedBroker } from './broker/embedded';
import { SimulatorModule } from './sim/simulator-module';
import { resolveSimulatorPaths } from './sim/resolve';
import { GatewayMetrics } from './observability/metrics';
import { ObservabilityServer, type HealthReport } from './observability/http-server';
import { LiveStatus } from './observability/live-status';

export interface GatewayOptions {
  readonly logger: Logger;
  /** Where the live status goes (stdout by default; tests capture it). */
  readonly statusWriter?: (text: string) => void;
}

/**
 * The composition root: the only place that knows every module. Config -> modules wired
 * source -> asset pipelines -> outbox -> uplink, plus the simulator and embedded broker of the
 * demo, the metrics/health endpoint and the live status. Start order is data-flow order from the
 * sink back to the sources, so nothing produced is dropped; stop is the reverse.
 */
export class Gateway {
  readonly sources: Source[] = [];
  readonly assets: AssetPipeline[] = [];
  readonly outbox: Outbox;
  /** Latest health, live alarms and acknowledgements across assets: what the SCADA server reads. */
  readonly board: HealthBoard;
  readonly models: ModelService | undefined;
  readonly uplink: Uplink | undefined;
  readonly broker: EmbeddedBroker | undefined;
  readonly simulator: SimulatorModule | undefined;
  readonly metrics: GatewayMetrics;
  readonly http: ObservabilityServer | undefined;
  readonly status: LiveStatus;
  private readonly runner: ModuleRunner;
  private readonly log: Logger;

  constructor(
    readonly loaded: LoadedConfig,
    opts: GatewayOptions,
  ) {
    const { config, dataDir } = loaded;
    const log = (this.log = opts.logger);
    const modules: Module[] = [];

    if (config.simulator.enabled) {
      this.simulator = new SimulatorModule(resolveSimulatorPaths(config.simulator, dirname(resolve(loaded.file))), log);
      modules.push(this.simulator);
    }
    if (config.broker.enabled) {
      this.broker = new EmbeddedBroker({ host: config.broker.host, port: config.broker.port, logger: log.child({ module: 'broker' }) });
      modules.push(this.broker);
    }

    // A message carries whole blocks: keep blocks within the uplink's batch limits.
    const batch = config.uplink?.enabled ? config.uplink.batch : undefined;
    const outboxConfig = batch ? { ...config.outbox, blockMaxRecords: Math.min(config.outbox.blockMaxRecords, batch.maxRecords), blockMaxBytes: Math.min(config.outbox.blockMaxBytes, batch.maxBytes) } : config.outbox;
    this.outbox = new Outbox({ file: join(dataDir, config.outbox.path), gatewayId: config.gateway.id, config: outboxConfig, logger: log.child({ module: 'outbox' }) });
    modules.push(this.outbox);
    // Outbox alarms (a corrupt file moved aside, a full disk) reach the cloud as event records.
    forwardOutboxAlarms(this.outbox, log.child({ module: 'outbox' }));

    if (config.uplink?.enabled) {
      this.uplink = new Uplink({ config: config.uplink, outbox: this.outbox, gatewayId: config.gateway.id, site: config.gateway.site, logger: log.child({ module: 'uplink' }) });
      modules.push(this.uplink);
    }

    // Models load before the pipelines start and unload after they have drained.
    if (config.assets.some((a) => a.models.length > 0)) {
      this.models = new ModelService({ config: config.models, modelsDir: loaded.modelsDir, installDir: loaded.installDir, assets: config.assets, logger: log });
      modules.push(this.models);
    }
    this.board = new HealthBoard(log.child({ module: 'health' }));
    // The units of the source tags (OPC-UA nodes, Modbus registers) travel with the asset's channels.
    const tagUnits = sourceTagUnits(config.sources);
    for (const a of config.assets) {
      const p = new AssetPipeline({ config: a, logger: log, models: this.models, channelUnits: channelUnits(a.tags, tagUnits) });
      p.on('window', (w) => {
        this.store([{ cls: 'summary', asset: w.asset, payload: w, ts: w.end }]);
        if (w.health) this.status.observeHealth(w.asset, w.health);
      });
      p.on('alarm', (e) => this.store([{ cls: 'alarm', asset: e.asset, payload: e, ts: e.ts }]));
      this.board.attach(p);
      this.assets.push(p);
      modules.push(p);
    }
    // Remote acknowledgement; runs only when 'ack' is in uplink.downlink.allow (docs/mqtt.md).
    this.uplink?.registerCommand('ack', ackCommand(this.board));

    this.status = new LiveStatus(
      this.assets.map((p) => ({ id: p.id, view: (maxLatest) => p.inputView(maxLatest), waiting: () => p.waiting() })),
      {
        links: () => this.sources.map((s) => ({ name: s.id, state: s.health().state, detail: s.health().detail })),
        uplink: () => (this.uplink ? { state: this.uplink.stats().state, recordsSent: this.uplink.stats().recordsSent, backlog: this.outbox.stats().records } : undefined),
        windows: (id) => this.assets.find((p) => p.id === id)?.stats().windows ?? 0,
      },
      { intervalMs: config.observability.statusIntervalMs, write: opts.statusWriter ?? ((t) => process.stdout.write(t)), title: `pdm-gateway ${config.gateway.id}` },
    );

    // One router for every source: each sample is looked up once and goes to the assets using its
    // tag. The live status reads its counts and latest values from the pipelines (no tap of its own).
    const router = new SampleRouter(this.assets);
    for (const sc of config.sources) {
      const s = createSource(sc, { logger: log, dataDir });
      router.attach(s); // column batches: no Sample object per value on the way to the assets
      s.on('state', (state, detail) => log.info({ source: s.id, state, detail }, `source ${s.id} ${state}`));
      this.sources.push(s);
    }
    // Sources start last (after their consumers) and stop first (so no sample is pushed into a
    // stopped pipeline); the live status starts after them.
    modules.push(...this.sources, this.status);

    this.metrics = new GatewayMetrics({ gateway: config.gateway.id, site: config.gateway.site });
    for (const s of this.sources) this.metrics.add({ name: s.id, kind: 'source', stats: () => ({ ...s.stats() }), health: () => s.health() });
    for (const p of this.assets) this.metrics.add({ name: p.id, kind: 'asset', stats: () => ({ ...p.stats() }), health: () => p.health() });
    this.metrics.add({ name: 'outbox', kind: 'outbox', stats: () => ({ ...this.outbox.stats(), storeFailures: this.storeFailures }), health: () => this.outbox.health() });
    this.metrics.add({ name: 'health', kind: 'other', stats: () => this.board.stats(), health: () => ({ healthy: true, state: 'up' }) });
    if (this.models) {
      const m = this.models;
      this.metrics.add({ name: 'models', kind: 'other', stats: () => ({ ...m.stats() }), health: () => m.health() });
    }
    if (this.uplink) {
      const u = this.uplink;
      this.metrics.add({ name: 'uplink', kind: 'uplink', stats: () => ({ ...u.stats() }), health: () => u.health() });
    }
    if (config.observability.http.enabled) {
      this.http = new ObservabilityServer({
        host: config.observability.http.host,
        port: config.observability.http.port,
        metrics: this.metrics,
        health: () => this.healthReport(),
        logger: log.child({ module: 'http' }),
      });
      modules.push(this.http);
    }
    this.runner = new ModuleRunner(modules, log);
    this.modules = modules;
  }

  private readonly modules: readonly Module[];
  private storeFailures = 0;

  /**
   * Hands results to the outbox. A refused batch (a bad record, or a full disk holding only
   * protected records) is logged and counted, never thrown into the pipeline that produced it:
   * the outbox has already raised its own health alarm and gap accounting.
   */
  private store(records: NewRecord[]): void {
    try {
      this.outbox.append(records);
    } catch (e) {
      this.storeFailures++;
      this.log.error({ err: errorMessage(e), cls: records[0]?.cls, asset: records[0]?.asset, failures: this.storeFailures }, 'outbox refused a result');
    }
  }

  async start(): Promise<void> {
    mkdirSync(this.loaded.dataDir, { recursive: true });
    await this.runner.start();
    this.log.info({ modules: this.modules.map((m) => m.name) }, 'gateway running');
  }

  /** Stops every module in reverse order within `deadlineMs`, finishing work in flight. */
  async stop(deadlineMs = 10000): Promise<{ timedOut: string[] }> {
    const r = await this.runner.stop(deadlineMs);
    this.log.info({ timedOut: r.timedOut }, 'gateway stopped');
    return r;
  }

  /** Healthy when every source and the uplink (and every other module) is; else names what is not. */
  healthReport(): HealthReport {
    const modules: Record<string, ModuleHealth> = {};
    for (const m of this.modules) modules[m.name] = m.health();
    const unhealthy = Object.entries(modules)
      .filter(([, h]) => !h.healthy)
      .map(([name, h]) => ({ name, state: h.state, ...(h.detail ? { detail: h.detail } : {}) }));
    return { status: unhealthy.length === 0 ? 'ok' : 'degraded', unhealthy, modules };
  }
}
