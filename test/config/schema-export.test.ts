import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchemaText } from '../../src/config/json-schema';
import { loadConfig } from '../../src/config/load';

const root = join(__dirname, '../..');

describe('config/schema.json', () => {
  it('is the export of the current zod schema (run: pdm-gateway schema --out config/schema.json)', () => {
    const committed = readFileSync(join(root, 'config/schema.json'), 'utf8');
    expect(committed).toBe(configJsonSchemaText());
  });

  it('describes the top-level sections and rejects unknown keys', () => {
    const s = JSON.parse(configJsonSchemaText()) as { properties: Record<string, unknown>; additionalProperties: boolean; required: string[] };
    expect(Object.keys(s.properties).sort()).toEqual(
      ['assets', 'broker', 'federated', 'gateway', 'models', 'observability', 'outbox', 'scada', 'simulator', 'sources', 'uplink'].sort(),
    );
    expect(s.additionalProperties).toBe(false);
    expect(s.required).toEqual(['gateway']);
  });
});

describe('shipped configs', () => {
  it.each(['config/demo.yaml', 'config/gateway.example.yaml'])('%s is valid', (file) => {
    const env = { MQTT_PASSWORD: 'x', OPCUA_PASSWORD: 'y', PDM_SCADA_PASSWORD: 'z' };
    const loaded = loadConfig(join(root, file), env);
    expect(loaded.config.gateway.id.length).toBeGreaterThan(0);
  });

  it('the production template uses TLS for MQTT and OPC-UA security', () => {
    const { config } = loadConfig(join(root, 'config/gateway.example.yaml'), { MQTT_PASSWORD: 'x', OPCUA_PASSWORD: 'y', PDM_SCADA_PASSWORD: 'z' });
    expect(config.uplink?.url.startsWith('mqtts://')).toBe(true);
    expect(config.uplink?.tls?.caFile).toBeDefined();
    const opcua = config.sources.filter((s) => s.type === 'opcua');
    expect(opcua.length).toBeGreaterThan(0);
    for (const s of opcua) expect(s.type === 'opcua' && s.securityMode).toBe('SignAndEncrypt');
    expect(config.scada.allowAnonymous).toBe(false);
    expect(config.scada.allowUnencrypted).toBe(false);
  });
});
