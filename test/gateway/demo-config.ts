import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../src/config/load';
import { freePort } from '../helpers/ports';

/**
 * The shipped demo config with every port moved to a free one and the data directory in a temp
 * folder, so tests run beside each other and beside a running demo. Time windows shrink to `windowMs`.
 */
export async function demoConfig(windowMs = 10000, file = join(__dirname, '../../config/demo.yaml')): Promise<LoadedConfig & { ports: { opcua: number; modbus: number; mqtt: number; http: number } }> {
  const loaded = loadConfig(file);
  const ports = { opcua: await freePort(), modbus: await freePort(), mqtt: await freePort(), http: await freePort() };
  const c = structuredClone(loaded.config);
  c.simulator.opcuaPort = ports.opcua;
  c.simulator.modbusPort = ports.modbus;
  c.broker.port = ports.mqtt;
  c.observability.http.port = ports.http;
  for (const s of c.sources) {
    if (s.type === 'opcua') s.endpoint = `opc.tcp://127.0.0.1:${ports.opcua}`;
    else s.port = ports.modbus;
  }
  for (const a of c.assets) if (a.window.type === 'time') a.window = { ...a.window, size: windowMs };
  if (c.uplink) c.uplink.url = `mqtt://127.0.0.1:${ports.mqtt}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'pdm-demo-'));
  return { ...loaded, config: c, dataDir, installDir: join(dataDir, 'models'), ports };
}
