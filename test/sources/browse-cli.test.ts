import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/program';
import { opcuaSourceConfig } from '../../src/sources/opcua/config';
import { freePort } from '../helpers/ports';
import { TestOpcuaServer } from '../helpers/opcua-server';

async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  process.exitCode = 0;
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'pdm-gateway', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}

describe('pdm-gateway browse and pki', () => {
  let server: TestOpcuaServer;
  const dataDir = mkdtempSync(join(tmpdir(), 'pdm-browse-'));
  beforeAll(async () => {
    server = new TestOpcuaServer({ port: await freePort() });
    await server.start();
  });
  afterAll(() => server.stop());

  it('prints the tree with NodeId, data type and access level, and a snippet that is a valid source config', async () => {
    const r = await run(['browse', server.endpoint, '--depth', '2', '--snippet', '--data-dir', dataDir]);
    expect(r.err.split('\n').filter((l) => l && !l.startsWith('node-opcua: '))).toEqual([]); // library notes go to stderr, never stdout
    expect(r.code).toBe(0);
    expect(r.out).toContain('1:Pump  ns=1;i=1000');
    expect(r.out).toContain('  1:Pressure  ns=1;s=Pump.Pressure  [Double, rw]');
    expect(r.out).toContain('  1:Count  ns=1;s=Pump.Count  [Int32, rw]');
    expect(r.out).toContain('  1:Name  ns=1;s=Pump.Name  [String, rw]');
    const yaml = parse(r.out.slice(r.out.indexOf('sources:'))) as { sources: unknown[] };
    const src = opcuaSourceConfig.parse(yaml.sources[0]);
    expect(src.endpoint).toBe(server.endpoint);
    expect(src.nodes).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Pump.Pressure', nodeId: 'ns=1;s=Pump.Pressure' })]));
    expect(src.nodes.filter((n) => n.nodeId?.startsWith('ns=0;'))).toEqual([]); // server diagnostics left out
  });

  it('--under limits the walk to a subtree', async () => {
    const r = await run(['browse', server.endpoint, '--under', 'ns=1;i=1000', '--depth', '1', '--data-dir', dataDir]);
    expect(r.out.trim().split('\n').map((l) => l.split('  ')[0])).toEqual(['1:Pressure', '1:Temperature', '1:Running', '1:Count', '1:Name', '1:Quality', '1:Numbered', '1:Steady']);
  });

  it('an unreachable endpoint fails with exit 1 naming it', async () => {
    const port = await freePort();
    const r = await run(['browse', `opc.tcp://127.0.0.1:${port}`, '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`browse opc.tcp://127.0.0.1:${port}:`);
  });

  it('pki list shows the certificate browse created in the data directory', async () => {
    const r = await run(['pki', '--data-dir', dataDir, 'list']);
    expect(r.out).toMatch(/^own +[0-9a-f]{40} {2}.*CN=pdm-gateway/m);
    expect(r.out).toContain(join(dataDir, 'pki/own/certs/client_certificate.pem'));
  });

  it('pki trust of an unknown thumbprint fails with a clear message', async () => {
    const r = await run(['pki', '--data-dir', dataDir, 'trust', 'deadbeefdeadbeef']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('deadbeefdeadbeef: no certificate with this thumbprint');
  });

  it('pki trust <file> trusts a PEM file; pki reject <thumbprint> moves it to rejected; list shows each state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-pki-cli-'));
    const gen = new OPCUACertificateManager({ rootFolder: join(dir, 'gen') });
    await gen.initialize();
    const certFile = join(dir, 'plc-3.pem');
    await gen.createSelfSignedCertificate({ applicationUri: 'urn:plc-3', subject: '/CN=PLC-3', dns: [], startDate: new Date(), validity: 30, outputFile: certFile });
    await gen.dispose();
    const pkiDir = join(dir, 'data');

    const trusted = await run(['pki', '--data-dir', pkiDir, 'trust', certFile]);
    expect(trusted.code).toBe(0);
    const m = trusted.out.match(/^trusted +([0-9a-f]{40}) {2}.*CN=PLC-3/m);
    expect(m).not.toBeNull();
    const thumb = m![1]!;
    const list1 = await run(['pki', '--data-dir', pkiDir, 'list']);
    expect(list1.out).toMatch(new RegExp(`^trusted +${thumb} {2}.*CN=PLC-3`, 'm'));
    expect(list1.out).not.toMatch(/^rejected/m);

    const rejected = await run(['pki', '--data-dir', pkiDir, 'reject', thumb.slice(0, 8)]);
    expect(rejected.code).toBe(0);
    expect(rejected.out).toMatch(new RegExp(`^rejected +${thumb}`, 'm'));
    const list2 = await run(['pki', '--data-dir', pkiDir, 'list']);
    expect(list2.out).toMatch(new RegExp(`^rejected +${thumb} {2}.*CN=PLC-3`, 'm'));
    expect(list2.out).not.toMatch(/^trusted/m);
    expect(list2.out).toContain(join(pkiDir, 'pki/rejected'));

    // trusted again by its thumbprint (as the docs show), then a too-short prefix is refused with the rule
    const again = await run(['pki', '--data-dir', pkiDir, 'trust', thumb.slice(0, 8)]);
    expect(again.out).toMatch(new RegExp(`^trusted +${thumb}`, 'm'));
    const short = await run(['pki', '--data-dir', pkiDir, 'reject', thumb.slice(0, 4)]);
    expect(short.code).toBe(1);
    expect(short.err).toContain(`${thumb.slice(0, 4)}: not a file, and too short for a thumbprint: give at least 8 hex digits`);
  });
});
