import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ModuleHealth } from '../core/lifecycle';

/** What the metrics collector reads at scrape time; modules keep plain counters in `stats()`. */
export interface StatsSource {
  readonly name: string;
  readonly kind: 'source' | 'asset' | 'outbox' | 'uplink' | 'other';
  stats(): Readonly<Record<string, unknown>>;
  health(): ModuleHealth;
}

/**
 * A private prom-client registry (not the global one, so two gateways in one test process do not
 * collide). Values are pulled from the modules' `stats()` at scrape time, so the hot paths only
 * bump plain integers.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly sources: StatsSource[] = [];

  constructor(labels: { gateway: string; site: string }) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'pdm_' });
    // prom-client calls collect() with `this` bound to the metric, so keep the list in a local.
    const sources = this.sources;
    const counterFrom = (name: string, help: string, kind: StatsSource['kind'], field: string) =>
      new Counter({
        name,
        help,
        labelNames: ['module'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const s of sources) {
            const v = s.kind === kind ? s.stats()[field] : undefined;
            if (typeof v === 'number') this.inc({ module: s.name }, v);
          }
        },
      });
    counterFrom('pdm_source_samples_total', 'Samples received per source', 'source', 'samples');
    counterFrom('pdm_source_bad_samples_total', 'Samples with bad quality per source', 'source', 'badSamples');
    counterFrom('pdm_source_errors_total', 'Read / protocol errors per source', 'source', 'errors');
    counterFrom('pdm_source_reconnects_total', 'Reconnects per source', 'source', 'reconnects');
    counterFrom('pdm_asset_windows_total', 'Windows completed per asset', 'asset', 'windows');
    counterFrom('pdm_uplink_records_sent_total', 'Outbox records acknowledged by the broker', 'uplink', 'recordsSent');
    new Gauge({
      name: 'pdm_module_up',
      help: '1 when the module is healthy',
      labelNames: ['module', 'kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of sources) this.set({ module: s.name, kind: s.kind }, s.health().healthy ? 1 : 0);
      },
    });
    // Every other numeric stat (queue depths, evictions, model disagreements, ...) without a
    // dedicated metric: exported generically so nothing a module counts is invisible.
    new Gauge({
      name: 'pdm_module_stat',
      help: 'Numeric stat of a module (queue depths, counters without a dedicated metric)',
      labelNames: ['module', 'stat'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of sources) {
          for (const [k, v] of Object.entries(s.stats())) if (typeof v === 'number' && Number.isFinite(v)) this.set({ module: s.name, stat: k }, v);
        }
      },
    });
  }

  add(source: StatsSource): void {
    this.sources.push(source);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
