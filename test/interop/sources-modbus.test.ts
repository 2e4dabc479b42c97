import { join } from 'node:path';
import { modbusSourceConfig } from '../../src/sources/modbus/config';
import { ModbusSource } from '../../src/sources/modbus/modbus-source';
import { silentLogger } from '../../src/observability/logger';
import { ChildPeer } from '../helpers/child-peer';
import { requireCommand } from '../helpers/peers';
import { freePort } from '../helpers/ports';
import { SourceRecorder } from '../helpers/source-events';
import { TcpProxy } from '../helpers/tcp-proxy';
import { PtyPair } from './modbus-pty-pair';

const PEER = join(__dirname, 'peers/modbus_peer.py');
const PY = '/usr/bin/python3';

interface PeerTag {
  name: string;
  unitId: number;
  area?: string;
  address: number;
  type: string;
  order?: string;
  length?: number;
  bit?: number;
  expected: number | boolean | string;
}

function manifest(peer: ChildPeer): PeerTag[] {
  const line = peer.lines.find((l) => l.startsWith('{'));
  return (JSON.parse(line as string) as { tags: PeerTag[] }).tags;
}

function sourceFor(tags: PeerTag[], conn: Record<string, unknown>, extra: Record<string, unknown> = {}): ModbusSource {
  const cfg = modbusSourceConfig.parse({
    id: 'py',
    type: 'modbus',
    pollIntervalMs: 200,
    timeoutMs: 500,
    reconnect: { initialMs: 200, maxMs: 1000 },
    registers: tags.map(({ expected: _e, ...t }) => t),
    ...conn,
    ...extra,
  });
  return new ModbusSource(cfg, silentLogger());
}

function expectAllExact(rec: SourceRecorder, tags: PeerTag[]): void {
  const wrong = tags
    .map((t) => ({ t, s: rec.latest(`py/${t.name}`) }))
    .filter(({ t, s }) => s?.quality !== 'good' || s.value !== t.expected)
    .map(({ t, s }) => `${t.name}: expected ${String(t.expected)}, got ${String(s?.value)} (${s?.quality} ${s?.status?.text ?? ''})`);
  expect(wrong).toEqual([]);
}

describe('Modbus sources against pymodbus (Debian python3-pymodbus)', () => {
  beforeAll(() => {
    requireCommand(PY, 'python3-pymodbus');
  });

  describe('TCP', () => {
    let peer: ChildPeer;
    let port: number;
    let src: ModbusSource | undefined;
    beforeEach(async () => {
      port = await freePort();
      peer = new ChildPeer(PY, [PEER, '--tcp', String(port)]);
      await peer.start();
    });
    afterEach(async () => {
      await src?.stop();
      src = undefined;
      await peer.kill();
    });

    it('every type and every word order, two unit ids, coils, discrete and input registers: values exact', async () => {
      const tags = manifest(peer);
      expect(tags.length).toBeGreaterThan(90);
      src = sourceFor(tags, { host: '127.0.0.1', port });
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('every tag', () => tags.every((t) => rec.latest(`py/${t.name}`)), 15_000);
      expectAllExact(rec, tags);
      // 64-bit integers a double cannot hold come as exact decimal strings; the safe range as numbers
      expect(tags.filter((t) => typeof t.expected === 'string' && /int64/.test(t.name)).map((t) => t.name.replace(/_[A-D]{4}$/, ''))).toEqual([
        ...Array<string>(4).fill('u1_uint64'),
        ...Array<string>(4).fill('u2_int64'),
        ...Array<string>(4).fill('u2_uint64'),
      ]);
      expect([rec.latest('py/u1_uint64_DCBA')?.value, rec.latest('py/u2_int64_BADC')?.value, rec.latest('py/u2_uint64_CDAB')?.value, rec.latest('py/u1_int64_ABCD')?.value]).toEqual([
        '9007199254740993',
        '-9223372036854775808',
        '18446744073709551615',
        -4503599627370495,
      ]);
      // per unit: holding 0..88 in one read, coils, discrete, inputs 0..7 and 49 (41 apart > maxGap 8): 5 reads
      expect(src.plan().map((g) => g.reads.map((r) => `${r.area}@${r.start}+${r.count}`))).toEqual([
        ['holding@0+89', 'coil@0+64', 'discrete@0+64', 'input@0+8', 'input@49+1'],
        ['holding@0+89', 'coil@0+64', 'discrete@0+64', 'input@0+8', 'input@49+1'],
      ]);
    });

    it('an address the device does not have is isolated: that tag bad with ILLEGAL DATA ADDRESS, the others exact', async () => {
      const tags = manifest(peer).filter((t) => t.unitId === 1 && (t.area ?? 'holding') === 'holding');
      const last = tags.at(-1)!;
      const beyond = { name: 'beyond', unitId: 1, address: 100, type: 'uint16', expected: 0 }; // the peer has 0..99
      src = sourceFor([...tags, beyond], { host: '127.0.0.1', port }, { maxGap: 125 - 1 });
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('beyond bad, the others good', () => rec.latest('py/beyond')?.quality === 'bad' && tags.every((t) => rec.latest(`py/${t.name}`)?.quality === 'good'), 15_000);
      expect(rec.latest('py/beyond')?.status).toMatchObject({ code: 2, text: expect.stringContaining('ILLEGAL DATA ADDRESS') });
      expectAllExact(rec, tags);
      expect(last.address).toBeLessThan(100);
      expect(src.stats().unit1_splits).toBeGreaterThan(0);
    });

    it('the server process killed (SIGKILL) and restarted: values resume within 10 s', async () => {
      const tags = manifest(peer).filter((t) => t.name.startsWith('u1_float32'));
      src = sourceFor(tags, { host: '127.0.0.1', port });
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('values', () => tags.every((t) => rec.latest(`py/${t.name}`)?.quality === 'good'));
      await peer.kill('SIGKILL');
      await rec.until('bad after the kill', () => rec.latest(`py/${tags[0]!.name}`)?.quality === 'bad');
      await peer.start();
      const mark = rec.samples.length;
      const ms = await rec.until('values again', () => tags.every((t) => rec.since(mark).some((s) => s.tag === `py/${t.name}` && s.quality === 'good')), 10_000);
      expect(ms).toBeLessThan(10_000);
      expectAllExact(rec, tags);
    });

    it('the line cut and restored through a proxy: tags bad while cut, values back after, one connection', async () => {
      const tags = manifest(peer).filter((t) => t.name.startsWith('u2_int32'));
      const proxy = new TcpProxy(await freePort(), port);
      await proxy.start();
      try {
        src = sourceFor(tags, { host: '127.0.0.1', port: proxy.port });
        const rec = new SourceRecorder(src);
        await src.start();
        await rec.until('values', () => tags.every((t) => rec.latest(`py/${t.name}`)?.quality === 'good'));
        const cutAt = rec.states.length;
        proxy.cut();
        await rec.until('bad while cut', () => rec.latest(`py/${tags[0]!.name}`)?.quality === 'bad');
        // The cut proxy accepts and drops each reconnect at once, so the link flips between a
        // short-lived connect and down: wait for down rather than sampling one instant.
        await rec.until('down while cut', () => rec.states.slice(cutAt).some((e) => e.state === 'down') || src?.health().state === 'down', 5000);
        await new Promise((r) => setTimeout(r, 1500)); // retries against a dead line
        proxy.restore();
        const mark = rec.samples.length;
        await rec.until('values after restore', () => rec.since(mark).some((s) => s.quality === 'good'), 10_000);
        expectAllExact(rec, tags);
        expect(proxy.open).toBe(1);
      } finally {
        await src?.stop();
        src = undefined;
        await proxy.stop();
      }
    });
  });

  describe('RTU over a socat pty pair', () => {
    const line = new PtyPair();
    const ours = line.ours;
    let peer: ChildPeer;
    let src: ModbusSource | undefined;
    beforeAll(async () => {
      await line.start();
      peer = new ChildPeer(PY, [PEER, '--rtu', line.theirs, '--baud', '38400']);
      await peer.start();
    });
    afterAll(async () => {
      await src?.stop();
      await peer.kill();
      await line.stop();
    });

    it('every type and order from two unit ids on one serial line: values exact', async () => {
      const tags = manifest(peer);
      src = sourceFor(tags, { transport: 'rtu', serial: { path: ours, baudRate: 38400, parity: 'none' } }, { pollIntervalMs: 500, timeoutMs: 1000, interRequestDelayMs: 5 });
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('every tag', () => tags.every((t) => rec.latest(`py/${t.name}`)), 20_000);
      expectAllExact(rec, tags);
      expect(src.health()).toMatchObject({ healthy: true, state: 'up', detail: `rtu:${ours}` });
    });
  });
});
