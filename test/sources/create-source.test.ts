import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModbusResponder } from '../../bench/_modbus-responder';
import { createSource, ModbusSource, OpcuaSource } from '../../src/sources';
import { sourceConfig } from '../../src/sources/config';
import { silentLogger } from '../../src/observability/logger';
import { freePort } from '../helpers/ports';
import { SourceRecorder } from '../helpers/source-events';

const deps = { logger: silentLogger(), dataDir: mkdtempSync(join(tmpdir(), 'pdm-create-')) };

describe('createSource', () => {
  it('builds the source for the config type, not connected until start()', async () => {
    const port = await freePort();
    const opcua = createSource(sourceConfig.parse({ id: 'o', type: 'opcua', endpoint: `opc.tcp://127.0.0.1:${port}`, nodes: [{ name: 'a', nodeId: 'ns=1;s=A' }] }), deps);
    expect(opcua).toBeInstanceOf(OpcuaSource);
    expect(opcua.health()).toEqual({ healthy: false, state: 'stopped', detail: undefined });
    const modbus = createSource(sourceConfig.parse({ id: 'm', type: 'modbus', host: '127.0.0.1', port, registers: [{ name: 'a', address: 0 }] }), deps);
    expect(modbus).toBeInstanceOf(ModbusSource);
    expect([opcua.id, modbus.id, modbus.name]).toEqual(['o', 'm', 'source m']);
  });

  it('a created Modbus source delivers samples and stops cleanly', async () => {
    const dev = new ModbusResponder(10);
    dev.registers[3] = 777;
    const port = await freePort();
    await dev.listen(port);
    const src = createSource(sourceConfig.parse({ id: 'm', type: 'modbus', host: '127.0.0.1', port, pollIntervalMs: 50, registers: [{ name: 'a', address: 3 }] }), deps);
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('a value', () => rec.latest('m/a')?.value === 777);
    await src.stop();
    expect(src.health().state).toBe('stopped');
    const n = rec.samples.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(rec.samples.length).toBe(n); // nothing after stop
    expect(src.stats()).toMatchObject({ samples: n, badSamples: 0, reconnects: 0 });
    await dev.close();
  });
});
