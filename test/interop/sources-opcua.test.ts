import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opcuaSourceConfig } from '../../src/sources/opcua/config';
import { OpcuaSource } from '../../src/sources/opcua/opcua-source';
import { silentLogger } from '../../src/observability/logger';
import { ChildPeer } from '../helpers/child-peer';
import { freePort } from '../helpers/ports';
import { SourceRecorder } from '../helpers/source-events';
import { TcpProxy } from '../helpers/tcp-proxy';

const PEER = join(__dirname, 'peers/opcua-peer.js');
const dataDir = mkdtempSync(join(tmpdir(), 'pdm-opcua-interop-'));

function source(endpoint: string, mode: 'subscribe' | 'poll' = 'subscribe'): OpcuaSource {
  const cfg = opcuaSourceConfig.parse({
    id: 'plant',
    type: 'opcua',
    endpoint,
    mode,
    publishingIntervalMs: 200,
    samplingIntervalMs: 100,
    pollIntervalMs: 200,
    reconnect: { initialMs: 300, maxMs: 2000 },
    nodes: [
      ...Array.from({ length: 20 }, (_, i) => ({ name: `v${i}`, nodeId: `ns=1;s=V${i}` })),
      { name: 'numbered', browsePath: '/Objects/1:Plant/1:Numbered' },
    ],
  });
  return new OpcuaSource(cfg, { logger: silentLogger(), dataDir });
}

const allGoodSince = (rec: SourceRecorder, mark: number): boolean => {
  const seen = new Set(rec.since(mark).filter((s) => s.quality === 'good').map((s) => s.tag));
  return seen.size === 21;
};

describe('OpcuaSource against a node-opcua server in another process', () => {
  let port: number;
  let peer: ChildPeer;
  let src: OpcuaSource | undefined;
  beforeEach(async () => {
    port = await freePort();
    peer = new ChildPeer(process.execPath, [PEER, '--port', String(port), '--vars', '20', '--first-id', '1000']);
    await peer.start();
  });
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    await peer.kill();
  });

  for (const mode of ['subscribe', 'poll'] as const) {
    it(`${mode}: server killed with SIGKILL and restarted (renumbered): every item back within 10 s, no gateway restart`, async () => {
      src = source(`opc.tcp://127.0.0.1:${port}`, mode);
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('all 21 tags good', () => allGoodSince(rec, 0), 20_000);
      expect(rec.latest('plant/numbered')?.value).toBe(1000);
      await peer.kill('SIGKILL');
      await rec.until('bad after the kill', () => rec.latest('plant/v0')?.quality === 'bad');
      expect(rec.latest('plant/v0')?.status?.text).toMatch(/^BadConnectionClosed/);
      peer = new ChildPeer(process.execPath, [PEER, '--port', String(port), '--vars', '20', '--first-id', '7000']);
      await peer.start();
      const mark = rec.samples.length;
      const ms = await rec.until('all 21 tags good again', () => allGoodSince(rec, mark), 10_000);
      expect(ms).toBeLessThan(10_000);
      expect(rec.latest('plant/numbered')?.value).toBe(7000); // the browse path now leads to ns=1;i=7001
      expect(src.stats().reconnects).toBe(1);
    });
  }

  it('network cut and restored through a proxy: bad while cut, everything back after', async () => {
    const proxyPort = await freePort();
    await peer.kill();
    // the server must know the address it is reached at (node-opcua checks the session endpoint URL)
    peer = new ChildPeer(process.execPath, [PEER, '--port', String(port), '--vars', '20', '--advertise-port', String(proxyPort)]);
    await peer.start();
    const proxy = new TcpProxy(proxyPort, port);
    await proxy.start();
    try {
      src = source(`opc.tcp://127.0.0.1:${proxy.port}`);
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('all good', () => allGoodSince(rec, 0), 20_000);
      proxy.cut();
      await rec.until('bad while cut', () => rec.latest('plant/v3')?.quality === 'bad');
      expect(src.health().state).toBe('down');
      await new Promise((r) => setTimeout(r, 3000));
      proxy.restore();
      const mark = rec.samples.length;
      const ms = await rec.until('all good after restore', () => allGoodSince(rec, mark), 10_000);
      expect(ms).toBeLessThan(10_000);
      expect(proxy.open).toBe(1);
    } finally {
      await src?.stop();
      src = undefined;
      await proxy.stop();
    }
  });
});
