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

function source(endpoint: string, mode: 'subscribe' | 'poll' = 'subscribe', extra: Record<string, unknown> = {}): OpcuaSource {
  const cfg = opcuaSourceConfig.parse({
    ...extra,
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

/** What the server holds, from the peer's latest STATS line (--report-ms). */
function serverHolds(peer: ChildPeer): { sessions: number; subscriptions: number; items: number } | undefined {
  const line = [...peer.lines].reverse().find((l) => l.startsWith('STATS '));
  const m = line?.match(/sessions=(\d+) subscriptions=(\d+) items=(\d+)/);
  return m ? { sessions: Number(m[1]), subscriptions: Number(m[2]), items: Number(m[3]) } : undefined;
}

async function settled(peer: ChildPeer, want: { sessions: number; subscriptions: number; items: number }): Promise<void> {
  const end = Date.now() + 8000;
  while (JSON.stringify(serverHolds(peer)) !== JSON.stringify(want) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  expect(serverHolds(peer)).toEqual(want);
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
    peer = new ChildPeer(process.execPath, [PEER, '--port', String(port), '--vars', '20', '--first-id', '1000', '--report-ms', '200']);
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
      peer = new ChildPeer(process.execPath, [PEER, '--port', String(port), '--vars', '20', '--first-id', '7000', '--report-ms', '200']);
      await peer.start();
      const mark = rec.samples.length;
      const ms = await rec.until('all 21 tags good again', () => allGoodSince(rec, mark), 10_000);
      expect(ms).toBeLessThan(10_000);
      expect(rec.latest('plant/numbered')?.value).toBe(7000); // the browse path now leads to ns=1;i=7001
      // the session died with the server: rebuilt from the config (not resumed), every item once
      expect(src.stats()).toMatchObject({ reconnects: 1, resumes: 0, rebuilds: 1, connects: 2 });
      await settled(peer, { sessions: 1, subscriptions: mode === 'subscribe' ? 1 : 0, items: mode === 'subscribe' ? 21 : 0 });
    });
  }

  // (a subscription's lifetime, publishing interval x keep-alive count x 6, must fit in the session timeout)
  /** The peer restarted to be reached through a TCP proxy on a port of its own (started). */
  async function peerBehindProxy(): Promise<TcpProxy> {
    const proxyPort = await freePort();
    await peer.kill();
    // the server must know the address it is reached at (node-opcua checks the session endpoint URL)
    peer = new ChildPeer(process.execPath, [PEER, '--port', String(port), '--vars', '20', '--advertise-port', String(proxyPort), '--report-ms', '200']);
    await peer.start();
    const proxy = new TcpProxy(proxyPort, port);
    await proxy.start();
    return proxy;
  }

  const CUTS = [
    { name: 'a short network cut (the session lives on): the same session and subscription resume, no rebuild, no duplicate items', cutMs: 3000, extra: {}, resumes: 1, rebuilds: 0, connects: 1 },
    { name: 'a cut longer than the session timeout (the server dropped the session): rebuilt from the config, every item once', cutMs: 4000, extra: { sessionTimeoutMs: 1500, keepAliveCount: 1 }, resumes: 0, rebuilds: 1, connects: 2 },
  ];
  for (const cut of CUTS) {
    it(`proxy: ${cut.name}`, async () => {
      const proxy = await peerBehindProxy();
      try {
        src = source(`opc.tcp://127.0.0.1:${proxy.port}`, 'subscribe', cut.extra);
        const rec = new SourceRecorder(src);
        await src.start();
        await rec.until('all good', () => allGoodSince(rec, 0), 20_000);
        await settled(peer, { sessions: 1, subscriptions: 1, items: 21 });
        proxy.cut();
        await rec.until('bad while cut', () => rec.latest('plant/v3')?.quality === 'bad');
        expect(src.health()).toMatchObject({ state: 'down', detail: expect.stringContaining('resuming the session') });
        await new Promise((r) => setTimeout(r, cut.cutMs));
        proxy.restore();
        const mark = rec.samples.length;
        const ms = await rec.until('all good after restore', () => allGoodSince(rec, mark), 10_000);
        expect(ms).toBeLessThan(10_000);
        await rec.until('up', () => src?.health().state === 'up');
        expect(proxy.open).toBe(1);
        expect(src.stats()).toMatchObject({ reconnects: 1, resumes: cut.resumes, rebuilds: cut.rebuilds, connects: cut.connects });
        await settled(peer, { sessions: 1, subscriptions: 1, items: 21 });
        // values keep moving after
        const v = rec.latest('plant/v5')!.value as number;
        await rec.until('v5 moves on', () => (rec.latest('plant/v5')!.value as number) > v);
      } finally {
        await src?.stop();
        src = undefined;
        await proxy.stop();
      }
    });
  }

  // The silent kind of outage: the path drops packets, nothing is refused or closed. The worst
  // moment for the path to come back is just after the source began a connection attempt into the
  // black hole (that attempt never gets an answer): restored exactly then, with the default
  // timeouts and backoff, every item must be back within 10 s.
  const HOLES = [
    { mode: 'subscribe', when: 'just as an attempt went into it', afterMs: undefined },
    { mode: 'poll', when: 'just as an attempt went into it', afterMs: undefined },
    { mode: 'subscribe', when: 'after 1 s, before the silence was noticed', afterMs: 1000 },
    { mode: 'poll', when: 'after 1 s, before the silence was noticed', afterMs: 1000 },
  ] as const;
  for (const { mode, when, afterMs } of HOLES) {
    it(`proxy black hole (${mode}, default timeouts): restored ${when}, all values back within 10 s`, async () => {
      const proxy = await peerBehindProxy();
      try {
        const cfg = opcuaSourceConfig.parse({
          id: 'plant',
          type: 'opcua',
          endpoint: `opc.tcp://127.0.0.1:${proxy.port}`,
          mode,
          nodes: [...Array.from({ length: 20 }, (_, i) => ({ name: `v${i}`, nodeId: `ns=1;s=V${i}` })), { name: 'numbered', browsePath: '/Objects/1:Plant/1:Numbered' }],
        });
        src = new OpcuaSource(cfg, { logger: silentLogger(), dataDir });
        const rec = new SourceRecorder(src);
        await src.start();
        await rec.until('all good', () => allGoodSince(rec, 0), 20_000);
        const t0 = Date.now();
        proxy.blackhole();
        let detectMs = -1;
        if (afterMs === undefined) {
          await rec.until('bad while black-holed', () => rec.latest('plant/v3')?.quality === 'bad', 30_000);
          detectMs = Date.now() - t0;
          // two attempts into the black hole, then restore the moment a third one begins
          await rec.until('2 attempts in the black hole', () => proxy.heldConnections >= 2, 60_000);
          const attempts = proxy.heldConnections;
          await rec.until('the next attempt', () => proxy.heldConnections > attempts, 60_000);
        } else {
          await new Promise((r) => setTimeout(r, afterMs));
          expect(rec.latest('plant/v3')?.quality).toBe('good');
        }
        proxy.restore(); // (the connection open when the hole began stays silent)
        const mark = rec.samples.length;
        const ms = await rec.until('all good after restore', () => allGoodSince(rec, mark), 20_000);
        process.stdout.write(`black hole ${mode} (${when}): ${detectMs >= 0 ? `noticed after ${detectMs} ms, ` : ''}back ${ms} ms after the restore\n`);
        expect(ms).toBeLessThan(10_000);
        await rec.until('up', () => src?.health().state === 'up');
        // (the old session's CloseSession went into the black hole: the server drops it at its timeout)
        expect(src.stats()).toMatchObject({ reconnects: 1, resumes: 0, rebuilds: 1 });
      } finally {
        await src?.stop();
        src = undefined;
        await proxy.stop();
      }
    });
  }
});
