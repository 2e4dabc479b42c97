import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { opcuaSourceConfig, type OpcuaSourceConfig } from '../../src/sources/opcua/config';
import { OpcuaSource } from '../../src/sources/opcua/opcua-source';
import { silentLogger } from '../../src/observability/logger';
import { freePort } from '../helpers/ports';
import { TestOpcuaServer } from '../helpers/opcua-server';
import { SourceRecorder } from '../helpers/source-events';

const CLI = join(__dirname, '../../dist/src/cli/main.js');

/** The compiled CLI in its own process (npm test builds dist first). */
function cli(args: string[]): Promise<{ out: string; err: string; code: number }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: run "npx tsc -p ." first`);
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (e, out, err) => resolve({ out, err, code: e ? Number(e.code ?? 1) : 0 }));
  });
}

const snippetOf = (out: string): OpcuaSourceConfig => opcuaSourceConfig.parse((parse(out.slice(out.indexOf('sources:'))) as { sources: unknown[] }).sources[0]);

describe('pdm-gateway browse --select / --browse-paths (compiled CLI)', () => {
  let server: TestOpcuaServer;
  const dataDir = mkdtempSync(join(tmpdir(), 'pdm-browse-select-'));
  beforeAll(async () => {
    server = new TestOpcuaServer({ port: await freePort(), extraVariables: 12 });
    await server.start();
  });
  afterAll(() => server.stop());

  it('--select by NodeId and by globs on browse name and path: only those variables, in tree order', async () => {
    const r = await cli(['browse', server.endpoint, '--depth', '2', '--select', 'Temp*,ns=1;s=Pump.Pressure, Pump/V1?', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    const src = snippetOf(r.out);
    expect(src.nodes.map((n) => ({ name: n.name, nodeId: n.nodeId }))).toEqual([
      { name: 'Pump.Pressure', nodeId: 'ns=1;s=Pump.Pressure' },
      { name: 'Pump.Temperature', nodeId: 'ns=1;s=Pump.Temperature' },
      { name: 'Pump.V10', nodeId: 'ns=1;s=Pump.V10' },
      { name: 'Pump.V11', nodeId: 'ns=1;s=Pump.V11' },
    ]);
  });

  it('--browse-paths gives browse paths from the Root folder that the gateway resolves', async () => {
    const r = await cli(['browse', server.endpoint, '--depth', '2', '--select', '1:Count,Numbered', '--browse-paths', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    const cfg = snippetOf(r.out);
    expect(cfg.nodes.map((n) => ({ name: n.name, browsePath: n.browsePath, nodeId: n.nodeId }))).toEqual([
      { name: 'Pump.Count', browsePath: '/Objects/1:Pump/1:Count', nodeId: undefined },
      { name: 'Pump.Numbered', browsePath: '/Objects/1:Pump/1:Numbered', nodeId: undefined },
    ]);
    // the same under another start node: the prefix is found by walking up to the Root folder
    const under = await cli(['browse', server.endpoint, '--under', 'ns=1;i=1000', '--depth', '1', '--select', 'Count', '--browse-paths', '--data-dir', dataDir]);
    expect(snippetOf(under.out).nodes.map((n) => n.browsePath)).toEqual(['/Objects/1:Pump/1:Count']);
    // and the snippet works as it is
    const src = new OpcuaSource({ ...cfg, publishingIntervalMs: 100 }, { logger: silentLogger(), dataDir });
    const rec = new SourceRecorder(src);
    await src.start();
    try {
      await rec.until('both values', () => rec.latest(`${cfg.id}/Pump.Count`)?.value === -7 && rec.latest(`${cfg.id}/Pump.Numbered`)?.value === 3.25);
    } finally {
      await src.stop();
    }
  });

  it('a pattern that selects nothing: exit 1 naming it', async () => {
    const r = await cli(['browse', server.endpoint, '--depth', '2', '--select', 'Pressure,NoSuchThing*', '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('--select matched no readable variable within --depth 2 under i=85: NoSuchThing*');
    expect(snippetOf(r.out).nodes.map((n) => n.nodeId)).toEqual(['ns=1;s=Pump.Pressure']);
  });
});
