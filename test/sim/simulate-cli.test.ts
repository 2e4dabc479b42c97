import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { modbusClient, closedByPeer } from './modbus-client';
import { simulatorConfigFromOptions } from '../../src/cli/simulate';
import { runSimulate, statusLine } from '../../src/sim/run';
import { buildProgram } from '../../src/cli/program';
import { ConfigError } from '../../src/core/errors';
import { silentLogger } from '../../src/observability/logger';

const DEMO = resolve(__dirname, '../../config/demo.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pdm-gateway simulate: options', () => {
  it('uses the config file simulator section and applies the command-line overrides', () => {
    // Its own config file, so the demo's tuning can change without touching this test.
    const file = join(dir, 'sim-options.yaml');
    writeFileSync(file, 'gateway: { id: g, site: s }\nsimulator:\n  turbofan: { lifeCycles: 220 }\n  faults:\n    - { fault: cavitation, atSeconds: 90, durationSeconds: 60, severity: 0.8 }\n');
    const cfg = simulatorConfigFromOptions({ config: file, timeScale: '20', opcuaPort: '0', modbusPort: '0', fault: ['bearing-wear@5:50:0.5', 'stuck@10::1:Pressure'] });
    expect(cfg).toMatchObject({ opcuaPort: 0, modbusPort: 0, timeScale: 20, turbofan: { lifeCycles: 220, cyclesPerSecond: 1 } });
    expect(cfg.faults).toEqual([
      { fault: 'cavitation', atSeconds: 90, durationSeconds: 60, severity: 0.8 }, // from the file
      { fault: 'bearing-wear', atSeconds: 5, durationSeconds: 50, severity: 0.5 },
      { fault: 'stuck', atSeconds: 10, severity: 1, channel: 'Pressure' },
    ]);
  });

  it('runs on the defaults without a config file', () => {
    expect(simulatorConfigFromOptions({})).toMatchObject({ opcuaPort: 4840, modbusPort: 5020, timeScale: 1, faults: [] });
  });

  it('builds a replay section from --replay, resolving the file against the working directory', () => {
    const cfg = simulatorConfigFromOptions({ replay: 'some/train_FD001.txt', format: 'cmapss', unit: '3', rowsPerSecond: '4' });
    expect(cfg.replay).toEqual({ file: resolve('some/train_FD001.txt'), format: 'cmapss', unit: 3, rowsPerSecond: 4, loop: true });
  });

  it('resolves a replay file in the config against the config file folder', () => {
    const file = join(dir, 'sim.yaml');
    writeFileSync(file, 'gateway: { id: g, site: s }\nsimulator:\n  replay: { file: data/x.csv, format: skab }\n');
    expect(simulatorConfigFromOptions({ config: file }).replay?.file).toBe(join(dir, 'data/x.csv'));
  });

  it('names the bad option', () => {
    expect(() => simulatorConfigFromOptions({ timeScale: '-2' })).toThrow(ConfigError);
    expect(() => simulatorConfigFromOptions({ timeScale: '-2' })).toThrow(/simulator\.timeScale: /);
    expect(() => simulatorConfigFromOptions({ opcuaPort: '70000' })).toThrow(/simulator\.opcuaPort: /);
    expect(() => simulatorConfigFromOptions({ fault: ['cavitation@x'] })).toThrow('--fault cavitation@x: expected KIND@START[:DURATION[:SEVERITY[:CHANNEL]]], e.g. cavitation@30:60:0.8');
    expect(() => simulatorConfigFromOptions({ config: join(dir, 'missing.yaml') })).toThrow(/missing\.yaml: invalid configuration:\n\(file\): cannot read: ENOENT/);
  });

  it('is registered on the program with its help', () => {
    const cmd = buildProgram().commands.find((c) => c.name() === 'simulate');
    expect(cmd?.helpInformation()).toMatch(/--fault <spec\.\.\.>.*KIND@START/s);
    expect(cmd?.helpInformation()).toMatch(/--format <format>\s+replay file format \(choices: "cmapss", "skab"\)/);
  });
});

describe('pdm-gateway simulate: running', () => {
  it('prints the endpoints and status lines, serves Modbus, and closes everything when told to stop', async () => {
    const cfg = simulatorConfigFromOptions({ opcuaPort: '0', modbusPort: '0', timeScale: '10', fault: ['valve-closed@0::0.5'] });
    const lines: string[] = [];
    let stop: (why: string) => void = () => undefined;
    const until = new Promise<string>((r) => (stop = r));
    const running = runSimulate({ ...cfg, pkiDir: join(dir, 'pki') }, { logger: silentLogger(), out: (l) => lines.push(l), statusEveryMs: 100, until });
    while (lines.length < 4) await new Promise((r) => setTimeout(r, 50));
    expect(lines[0]).toMatch(/^opcua opc\.tcp:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(/^modbus tcp:\/\/127\.0\.0\.1:(\d+) unit 1$/.exec(lines[1]!)?.[1]);
    expect(lines[2]).toMatch(/^t=\d+s pump: flow=[\d.]+ current=[\d.]+ pressure=-?[\d.]+ accel1=[\d.]+ temp=[\d.]+ \| fan: engine 1 cycle \d+ RUL \d+ s4=[\d.]+ \| faults: valve-closed:0\.5$/);
    const m = await modbusClient(port);
    expect((await m.readCoils(0, 1)).data[0]).toBe(true);
    const closed = closedByPeer(m);
    stop('SIGTERM');
    await running;
    await closed;
  });

  it('formats bad-quality values in the status line', () => {
    const line = statusLine({
      simSeconds: 12.4,
      values: { 'Pump1.Current': { value: 2.5, quality: 'bad', sourceTs: 0 } } as never,
      cycle: 3,
      trueRul: 7,
      engine: 2,
      faults: [{ id: 1, fault: 'dropout', severity: 1, channel: 'Pump1.Current', startS: 0 }],
    });
    expect(line).toBe('t=12s pump: flow=- current=2.50(bad) pressure=- accel1=- temp=- | fan: engine 2 cycle 3 RUL 7 s4=- | faults: dropout:1:Pump1.Current');
  });
});

it('the demo config still names the simulator node ids and register addresses documented in src/sim/README.md', () => {
  const demo = readFileSync(DEMO, 'utf8');
  const readme = readFileSync(resolve(__dirname, '../../src/sim/README.md'), 'utf8');
  for (const id of demo.matchAll(/nodeId: "ns=1;s=(Pump1\.\w+)"/g)) expect(readme).toContain(id[1]!.split('.')[1]);
  expect(demo).toMatch(/name: s21, area: holding, address: 26, type: float32/);
  expect(demo).toMatch(/name: cycle, area: holding, address: 28, type: uint32/);
});
