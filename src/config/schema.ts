import { z } from 'zod';
import { sourceConfig } from '../sources/config';
import { assetConfig } from '../assets/config';
import { outboxConfig } from '../outbox/config';
import { uplinkConfig } from '../uplink/config';
import { scadaConfig } from '../scada/config';
import { federatedConfig } from '../federated/config';
import { observabilityConfig } from '../observability/config';
import { embeddedBrokerConfig } from '../broker/config';
import { simulatorConfig } from '../sim/config';
import { modelsConfig } from '../models/config';

/**
 * The one schema of the gateway's YAML file: each component owns its part (beside its code) and
 * this file composes them. It serves validation, defaults, the JSON Schema (config/schema.json)
 * and the docs.
 */
export const gatewayConfigSchema = z
  .strictObject({
    gateway: z.strictObject({
      id: z.string().min(1).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only').describe('Unique per site; part of every record id and topic'),
      site: z.string().min(1).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only'),
      dataDir: z.string().default('./data').describe('Outbox, certificates, model registry; relative to the config file'),
      modelsDir: z.string().default('./models').describe('Model registry root; relative to the config file'),
      heapGrowthPercent: z
        .number()
        .int()
        .min(0)
        .max(1000)
        .default(0)
        .describe('How far the JavaScript heap may grow past its live data before a full garbage collection, in percent; 0 = V8\'s own choice (sized from the machine\'s RAM). 100 bounds the peak RSS of a large OPC-UA gateway on a big machine at ~1.2x the CPU (docs/operations.md, "Memory")'),
    }),
    sources: z.array(sourceConfig).default([]),
    assets: z.array(assetConfig).default([]),
    models: modelsConfig.default(modelsConfig.parse({})),
    outbox: outboxConfig.default(outboxConfig.parse({})),
    uplink: uplinkConfig.optional(),
    scada: scadaConfig.default(scadaConfig.parse({})),
    federated: federatedConfig.default(federatedConfig.parse({})),
    observability: observabilityConfig.default(observabilityConfig.parse({})),
    broker: embeddedBrokerConfig.default(embeddedBrokerConfig.parse({})),
    simulator: simulatorConfig.default(simulatorConfig.parse({})),
  })
  .superRefine((cfg, ctx) => {
    // Specified, not yet built: refuse rather than silently run without them.
    if (cfg.scada.enabled) ctx.addIssue({ code: 'custom', path: ['scada', 'enabled'], message: 'the SCADA OPC-UA server is not in this release yet; set scada.enabled: false' });
    if (cfg.federated.enabled) ctx.addIssue({ code: 'custom', path: ['federated', 'enabled'], message: 'federated learning is not in this release yet; set federated.enabled: false' });
    const ids = new Set<string>();
    cfg.sources.forEach((s, i) => {
      if (ids.has(s.id)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'id'], message: `duplicate source id "${s.id}"` });
      ids.add(s.id);
    });
    const tags = new Set<string>();
    for (const s of cfg.sources) {
      const names = s.type === 'opcua' ? s.nodes.map((n) => n.name) : s.registers.map((r) => r.name);
      for (const n of names) tags.add(`${s.id}/${n}`);
    }
    cfg.assets.forEach((a, i) => {
      for (const [ch, tag] of Object.entries(a.tags)) {
        if (!tags.has(tag)) ctx.addIssue({ code: 'custom', path: ['assets', i, 'tags', ch], message: `unknown tag "${tag}": no source defines it` });
      }
    });
  });

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
