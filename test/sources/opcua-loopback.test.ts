import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opcuaSourceConfig } from '../../src/sources/opcua/config';
import { OpcuaSource } from '../../src/sources/opcua/opcua-source';
import { silentLogger } from '../../src/observability/logger';
import { freePort } from '../helpers/ports';
import { TestOpcuaServer } from '../helpers/opcua-server';
import { SourceRecorder } from '../helpers/source-events';

const dataDir = mkdtempSync(join(tmpdir(), 'pdm-opcua-cli-'));

function source(endpoint: string, nodes: unknown[], extra: Record<string, unknown> = {}): OpcuaSource {
  const cfg = opcuaSourceConfig.parse({
    id: 'pump',
    type: 'opcua',
    endpoint,
    publishingIntervalMs: 100,
    samplingIntervalMs: 50,
    pollIntervalMs: 100,
    reconnect: { initialMs: 200, maxMs: 1000 },
    nodes,
    ...extra,
  });
  return new OpcuaSource(cfg, { logger: silentLogger(), dataDir });
}

const PUMP_NODES = [
  { name: 'pressure', nodeId: 'ns=1;s=Pump.Pressure' },
  { name: 'temp', nodeId: 'ns=1;s=Pump.Temperature' },
  { name: 'running', nodeId: 'ns=1;s=Pump.Running' },
  { name: 'count', nodeId: 'ns=1;s=Pump.Count' },
  { name: 'name', nodeId: 'ns=1;s=Pump.Name' },
  { name: 'quality', nodeId: 'ns=1;s=Pump.Quality' },
  { name: 'ghost', nodeId: 'ns=1;s=Pump.DoesNotExist' },
];

describe('OpcuaSource against an in-process node-opcua server', () => {
  let server: TestOpcuaServer;
  let src: OpcuaSource | undefined;
  beforeEach(async () => {
    server = new TestOpcuaServer({ port: await freePort() });
  });
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    await server.stop();
  });

  /** The values the source reports for one node with a deadband, once it has reported `count`. */
  async function deadbandValues(node: Record<string, unknown>, count: number): Promise<number[]> {
    src = source(server.endpoint, [node]);
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until(`${count} samples`, () => rec.samples.length >= count);
    return rec.samples.map((s) => s.value as number);
  }

  for (const mode of ['subscribe', 'poll'] as const) {
    it(`${mode}: values with their types and qualities; an unknown node is bad, the others keep running`, async () => {
      await server.start();
      src = source(server.endpoint, PUMP_NODES, { mode });
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('every tag', () => PUMP_NODES.every((n) => rec.latest(`pump/${n.name}`)));
      expect(rec.latest('pump/temp')).toMatchObject({ value: 20.5, quality: 'good' });
      expect(rec.latest('pump/running')?.value).toBe(true);
      expect(rec.latest('pump/count')?.value).toBe(-7);
      expect(rec.latest('pump/name')?.value).toBe('P-101');
      expect(rec.latest('pump/quality')).toMatchObject({ value: 1.5, quality: 'uncertain', status: { code: 0x40900000, text: 'UncertainLastUsableValue' } });
      // good numbers travel as columns; booleans, text and uncertain values as Sample objects
      expect(rec.columnValues.get('pump/temp')).toBeGreaterThan(0);
      expect([...rec.columnValues.keys()].sort()).toEqual(['pump/count', 'pump/pressure', 'pump/temp']);
      expect(rec.latest('pump/ghost')).toMatchObject({ value: null, quality: 'bad', status: { code: 0x80340000, text: expect.stringContaining('BadNodeIdUnknown') } });
      const p0 = rec.latest('pump/pressure')!.value as number;
      await rec.until('pressure moving', () => (rec.latest('pump/pressure')!.value as number) > p0 + 0.3);
      const p = rec.latest('pump/pressure')!;
      expect(p.quality).toBe('good');
      expect(p.sourceTs).toBeLessThanOrEqual(p.receivedTs);
      expect(p.receivedTs - p.sourceTs).toBeLessThan(2000);
      expect(src.health()).toEqual({ healthy: true, state: 'up', detail: server.endpoint });
    });
  }

  it('a node that appears on the server later is picked up without reconnecting', async () => {
    await server.start();
    src = source(server.endpoint, [PUMP_NODES[1], { name: 'late', nodeId: 'ns=1;s=Pump.Late' }], { retryRejectedNodesMs: 300 });
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('late bad, temp good', () => rec.latest('pump/late')?.quality === 'bad' && rec.latest('pump/temp')?.quality === 'good');
    expect(rec.latest('pump/late')?.status?.text).toContain('BadNodeIdUnknown');
    server.add('Late', 11 as never, 42.5);
    await rec.until('late value', () => rec.latest('pump/late')?.value === 42.5, 5000);
    expect(src.stats()).toMatchObject({ reconnects: 0, connects: 1 });
  });

  it('poll: a browse path that did not resolve is resolved again and read, without reconnecting', async () => {
    await server.start();
    src = source(server.endpoint, [PUMP_NODES[1], { name: 'later', browsePath: '/Objects/1:Pump/1:Later' }], { mode: 'poll', retryRejectedNodesMs: 300 });
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('later bad, temp good', () => rec.latest('pump/later')?.quality === 'bad' && rec.latest('pump/temp')?.quality === 'good');
    expect(rec.latest('pump/later')?.status?.text).toContain('browse path /Objects/1:Pump/1:Later not found');
    server.add('Later', 11 as never, 17.25);
    await rec.until('later value', () => rec.latest('pump/later')?.value === 17.25, 5000);
    const mark = rec.samples.length;
    server.set('Later', 11 as never, 18.5);
    await rec.until('later read every cycle', () => rec.since(mark).some((s) => s.tag === 'pump/later' && s.value === 18.5));
    expect(src.stats()).toMatchObject({ reconnects: 0, connects: 1 });
  });

  it('absolute deadband: the server only reports moves larger than the deadband', async () => {
    await server.start();
    const v = await deadbandValues({ name: 'pressure', nodeId: 'ns=1;s=Pump.Pressure', deadband: { type: 'absolute', value: 0.45 } }, 8);
    for (let i = 1; i < v.length; i++) expect(v[i]! - v[i - 1]!).toBeGreaterThan(0.45);
  });

  it('percent deadband on an AnalogItem (EURange 0..10): only moves above 10 % of the range', async () => {
    server = new TestOpcuaServer({ port: server.opts.port, standardNodeset: true });
    await server.start();
    const v = await deadbandValues({ name: 'level', nodeId: 'ns=1;s=Pump.Level', deadband: { type: 'percent', value: 10 } }, 5);
    for (let i = 1; i < v.length; i++) if (v[i]! > v[i - 1]!) expect(v[i]! - v[i - 1]!).toBeGreaterThan(1.0); // (wraps at 10)
  });

  it('trigger status-value-timestamp reports an unchanged value with a new timestamp; status-value does not', async () => {
    await server.start();
    src = source(server.endpoint, [
      { name: 'ts', nodeId: 'ns=1;s=Pump.Steady', trigger: 'status-value-timestamp' },
      { name: 'sv', nodeId: 'ns=1;s=Pump.Steady', trigger: 'status-value' },
      { name: 'pct', nodeId: 'ns=1;s=Pump.Pressure', deadband: { type: 'percent', value: 5 } }, // no EURange: refused
    ]);
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('6 timestamp-triggered samples', () => rec.samples.filter((s) => s.tag === 'pump/ts').length >= 6);
    expect(rec.samples.filter((s) => s.tag === 'pump/sv')).toHaveLength(1);
    const ts = rec.samples.filter((s) => s.tag === 'pump/ts');
    expect(new Set(ts.map((s) => s.value))).toEqual(new Set([5]));
    expect(new Set(ts.map((s) => s.sourceTs)).size).toBe(ts.length);
    expect(rec.latest('pump/pct')).toMatchObject({ quality: 'bad', status: { text: expect.stringMatching(/^Bad.*Filter/) } });
  });

  it('starts with the server absent (down, naming the endpoint), connects when it appears', async () => {
    src = source(server.endpoint, [{ name: 'temp', nodeId: 'ns=1;s=Pump.Temperature' }]);
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('down', () => src?.health().state === 'down');
    expect(src.health().detail).toContain(server.endpoint);
    await server.start();
    await rec.until('a value', () => rec.latest('pump/temp')?.value === 20.5, 15_000);
  });

  it('server restart on the same port: tags go bad, then every monitored item resumes within 10 s', async () => {
    await server.start();
    src = source(server.endpoint, PUMP_NODES.slice(0, 3));
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('first values', () => rec.latest('pump/temp')?.value === 20.5);
    await server.stop();
    await rec.until('bad after the loss', () => rec.latest('pump/temp')?.quality === 'bad');
    server = new TestOpcuaServer({ port: server.opts.port, pkiDir: server.pkiDir });
    await server.start();
    const mark = rec.samples.length;
    server.set('Temperature', 11 as never, 33.5);
    const ms = await rec.until('values after restart', () => rec.since(mark).some((s) => s.tag === 'pump/temp' && s.value === 33.5) && rec.since(mark).some((s) => s.tag === 'pump/pressure' && s.quality === 'good') && rec.since(mark).some((s) => s.tag === 'pump/running' && s.value === true), 10_000);
    expect(ms).toBeLessThan(10_000);
    expect(src.stats().reconnects).toBe(1);
  });

  it('re-resolves browse paths after a restart of a server that renumbered its nodes', async () => {
    server = new TestOpcuaServer({ port: server.opts.port, firstNumericId: 1000 });
    await server.start();
    src = source(server.endpoint, [{ name: 'numbered', browsePath: '/Objects/1:Pump/1:Numbered' }]);
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('value', () => rec.latest('pump/numbered')?.value === 3.25);
    expect(server.vars.get('Numbered')!.nodeId.toString()).toBe('ns=1;i=1001');
    await server.stop();
    await rec.until('bad', () => rec.latest('pump/numbered')?.quality === 'bad');
    server = new TestOpcuaServer({ port: server.opts.port, firstNumericId: 5000, pkiDir: server.pkiDir });
    await server.start();
    server.set('Numbered', 11 as never, 6.5);
    expect(server.vars.get('Numbered')!.nodeId.toString()).toBe('ns=1;i=5001');
    await rec.until('value from the renumbered node', () => rec.latest('pump/numbered')?.value === 6.5, 10_000);
  });
});
