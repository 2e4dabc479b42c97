import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../src/config/load';
import type { Gateway } from '../../src/gateway';
import { freePort } from '../helpers/ports';
import type { Sandbox } from '../models/fixtures';
import { waitFor } from '../uplink/helpers';

/**
 * A gateway config over a model sandbox (test/models/fixtures): count-window assets on channels
 * a and b bound to model `pm`, whose tags come from a Modbus source with no peer (it names the
 * tags and their units; tests push frames into the pipelines). `extra` is appended YAML.
 */
export async function modelGatewayConfig(sb: Sandbox, assets: readonly string[], extra = ''): Promise<LoadedConfig> {
  const asset = (id: string) => `  - { id: ${id}, kind: pump, tags: { a: plc/a, b: plc/b }, window: { type: count, size: 4, frameMs: 1000, latenessMs: 0 }, features: [mean], models: [{ id: pm, role: anomaly }], health: { n: 2, m: 3 } }`;
  const file = join(sb.root, 'gateway.yaml');
  writeFileSync(file, `gateway: { id: gw-t, site: s1, dataDir: ./data, modelsDir: ./models }
sources:
  - id: plc
    type: modbus
    host: 127.0.0.1
    port: ${await freePort()}
    registers:
      - { name: a, address: 0, type: float32, units: bar }
      - { name: b, address: 2, type: float32 }
assets:
${assets.map(asset).join('\n')}
observability: { http: { enabled: false }, statusIntervalMs: 0 }
${extra}`);
  return loadConfig(file);
}

/**
 * Pushes windows of constant value (4 frames each) into a gateway's asset, waiting for each to be
 * scored; a window closes when the next one's first frame comes, so the last one stays open.
 */
export function windowFeeder(gw: Gateway): (asset: string, values: readonly number[]) => Promise<void> {
  const next = new Map<string, number>();
  return async (asset, values) => {
    const p = gw.assets.find((a) => a.id === asset)!;
    for (const v of values) {
      const k0 = next.get(asset) ?? 0;
      for (let k = k0; k < k0 + 4; k++) p.pushFrame(k * 1000, [v, v]);
      next.set(asset, k0 + 4);
      await waitFor(() => p.stats().windowsInFlight === 0, 10000, `${asset} windows scored`);
    }
  };
}
