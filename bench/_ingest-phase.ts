/**
 * One measured phase of bench/ingest, in its own process so CPU and RSS are its own.
 * Usage: node _ingest-phase.js <phase> <json options>; prints one JSON line of figures.
 * Phases: opcua-bare, opcua-ours, modbus-bare, modbus-raw (raw sockets: the floor), modbus-ours.
 *
 * "ours" is the gateway's ingest path up to the window stage, wired as src/gateway.ts wires it:
 * sources -> one SampleRouter -> an AssetPipeline per asset (alignment on a 100 ms frame grid,
 * gap policy, 1 s tumbling windows, their features), plus the live status line the gateway
 * renders by default. Every tag belongs to an asset (`channels` tags each), so every sample lands in a
 * window. Windows are counted; nothing downstream of the windows (outbox, uplink) runs.
 */
import ModbusRTU from 'modbus-serial';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENTRY_NONE, type ColumnBatch } from '../src/core/batch';
import type { Source } from '../src/core/source';
import { AssetPipeline, SampleRouter, assetConfig } from '../src/assets';
import { LiveStatus } from '../src/observability/live-status';
import { ModbusSource } from '../src/sources/modbus/modbus-source';
import { modbusSourceConfig } from '../src/sources/modbus/config';
import { mbapReadRequest } from '../src/sources/modbus/transport-tcp';
import { opcuaSourceConfig } from '../src/sources/opcua/config';
import { silentLogger } from '../src/observability/logger';
import { applyHeapGrowth } from '../src/core/heap-policy';

interface Opts {
  endpoint: string;
  tags: number;
  firstPort: number;
  devices: number;
  registers: number;
  intervalMs: number;
  warmupS: number;
  seconds: number;
  /** Tags per asset. */
  channels: number;
  /** How long a frame stays open for late values (the assets' window.latenessMs). */
  latenessMs: number;
  /** 'window' (default): up to the window stage; 'source': the sources alone (to split the cost). */
  stage?: 'window' | 'source';
  /** V8 heap growth percent (src/core/heap-policy) for ours and for bare; unset = V8's own choice (the gateway's default). */
  heapGrowth?: number;
  bareHeapGrowth?: number;
  /** OPC-UA: the bare client's maxNotificationsPerPublish (0 = no limit); ours takes the source's default. */
  bareMaxNotifications?: number;
}

/** OPC-UA: the maxNotificationsPerPublish the phase's subscription asked for. */
let maxNotifications: number | undefined;

let count = 0;
let windows = 0;
const pipelines: AssetPipeline[] = [];
let router: SampleRouter | undefined;
let sum = 0; // both sides touch every value, so neither is credited for skipping work
let measuring = false;
let expectedTags = 0;
const seenIdx = new Set<number>();
const seen = new Set<string>();

/** Our sources, whose own counters give the samples delivered (no per-value counting by the bench). */
const ours: Source[] = [];
const oursSamples = (): number => ours.reduce((n, s) => n + s.stats().samples, 0);

/** Notes the tags seen before the measured window, then the delay of each batch (as the router gets it: column batches). */
function tally(b: ColumnBatch): void {
  if (!measuring) {
    if (seen.size >= expectedTags) return;
    for (let i = 0; i < b.length; i++) if (b.kinds[i] !== ENTRY_NONE) seen.add(b.layout.tags[b.positions ? (b.positions[i] as number) : i] as string);
    for (const s of b.samples) seen.add(s.tag);
  } else if (delays.length < 100_000 && b.length > 0) delays.push((b.receivedTs[0] as number) - (b.sourceTs[0] as number));
}

/** Receipt minus source time of the first sample of each batch measured: how late values reach the window stage. */
const delays: number[] = [];
const pct = (q: number): number => [...delays].sort((a, b) => a - b)[Math.floor(q * (delays.length - 1))] ?? 0;

async function opcuaBare(o: Opts): Promise<() => Promise<void>> {
  // loaded here so the Modbus phases do not carry node-opcua in their RSS
  const { AttributeIds, ClientMonitoredItemGroup, ClientSubscription, OPCUAClient, TimestampsToReturn } = await import('node-opcua');
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await client.connect(o.endpoint);
  const session = await client.createSession();
  maxNotifications = o.bareMaxNotifications ?? 0;
  const sub = ClientSubscription.create(session, { requestedPublishingInterval: o.intervalMs, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 60, maxNotificationsPerPublish: maxNotifications, publishingEnabled: true, priority: 1 });
  const items = Array.from({ length: o.tags }, (_, i) => ({ nodeId: `ns=1;s=V${i}`, attributeId: AttributeIds.Value }));
  const group = ClientMonitoredItemGroup.create(sub, items, { samplingInterval: o.intervalMs, queueSize: 1, discardOldest: true }, TimestampsToReturn.Both);
  group.on('changed', (_item, dv, i) => {
    count++;
    if (!measuring) seenIdx.add(i);
    if (typeof dv.value.value === 'number') sum += dv.value.value;
  });
  return async () => {
    await client.disconnect();
  };
}

async function opcuaOurs(o: Opts): Promise<() => Promise<void>> {
  const { OpcuaSource } = await import('../src/sources/opcua/opcua-source');
  const cfg = opcuaSourceConfig.parse({
    id: 'bench',
    type: 'opcua',
    endpoint: o.endpoint,
    publishingIntervalMs: o.intervalMs,
    samplingIntervalMs: o.intervalMs,
    nodes: Array.from({ length: o.tags }, (_, i) => ({ name: `v${i}`, nodeId: `ns=1;s=V${i}`, queueSize: 1 })),
  });
  maxNotifications = cfg.maxNotificationsPerPublish; // the gateway's default
  // one data dir for every run: the application certificate is made once, as on a real gateway
  const dataDir = join(tmpdir(), 'pdm-bench-ingest');
  mkdirSync(dataDir, { recursive: true });
  return startOurs([new OpcuaSource(cfg, { logger: silentLogger(), dataDir })], o.tags, (i) => `bench/v${i}`, o);
}

/**
 * Assets of `channels` consecutive tags each over all `nTags` tags (the last one may be smaller),
 * then the sources, wired as the gateway wires them (src/gateway.ts).
 */
async function startOurs(sources: Source[], nTags: number, tag: (i: number) => string, o: Opts): Promise<() => Promise<void>> {
  const channels = o.channels;
  for (let a = 0; o.stage !== 'source' && a * channels < nTags; a++) {
    const tags: Record<string, string> = {};
    for (let i = a * channels; i < Math.min(nTags, (a + 1) * channels); i++) tags[`c${i - a * channels}`] = tag(i);
    const cfg = assetConfig.parse({ id: `a${a}`, tags, window: { type: 'time', size: 1000, frameMs: 100, latenessMs: o.latenessMs } });
    const p = new AssetPipeline({ config: cfg, logger: silentLogger() });
    p.on('window', (w) => {
      if (measuring) windows++;
      if (typeof w.features['c0']?.['mean'] === 'number') sum += w.features['c0']['mean'];
    });
    pipelines.push(p);
  }
  // the live status as the gateway builds it (reading the pipelines' input views), rendering every 5 s
  const status = new LiveStatus(
    pipelines.map((p) => ({ id: p.id, view: (maxLatest) => p.inputView(maxLatest) })),
    { links: () => sources.map((x) => ({ name: x.id, state: x.health().state })), uplink: () => undefined, windows: (id) => pipelines.find((p) => p.id === id)?.stats().windows ?? 0 },
    { intervalMs: 5000, write: () => undefined, title: 'bench' },
  );
  if (o.stage !== 'source') router = new SampleRouter(pipelines);
  for (const p of pipelines) await p.start();
  await status.start();
  for (const s of sources) {
    if (router) router.attach(s);
    s.on('batch', tally);
    ours.push(s);
    await s.start();
  }
  return async () => {
    for (const s of sources) await s.stop();
    await status.stop();
    for (const p of pipelines) await p.stop();
  };
}

async function modbusBare(o: Opts): Promise<() => Promise<void>> {
  const timers: NodeJS.Timeout[] = [];
  const clients: ModbusRTU[] = [];
  for (let d = 0; d < o.devices; d++) {
    const c = new ModbusRTU();
    await c.connectTCP('127.0.0.1', { port: o.firstPort + d });
    c.setID(1);
    c.setTimeout(1000);
    clients.push(c);
    let busy = false;
    timers.push(
      setInterval(async () => {
        if (busy) return;
        busy = true;
        for (let a = 0; a < o.registers; a += 125) {
          const r = await c.readHoldingRegisters(a, Math.min(125, o.registers - a));
          count += r.data.length;
          for (const v of r.data) sum += v;
          if (!measuring) for (let k = 0; k < r.data.length; k++) seenIdx.add(d * o.registers + a + k);
        }
        busy = false;
      }, o.intervalMs),
    );
  }
  return async () => {
    for (const t of timers) clearInterval(t);
    for (const c of clients) await new Promise((r) => c.close(r));
  };
}

/**
 * The floor under both: the same reads on raw sockets (requests from the transport's encoder,
 * answers taken by their length: no timeout, no checks), each value summed. What any Modbus TCP client in Node must spend.
 */
async function modbusRaw(o: Opts): Promise<() => Promise<void>> {
  const timers: NodeJS.Timeout[] = [];
  const sockets: Socket[] = [];
  for (let d = 0; d < o.devices; d++) {
    const sock = await new Promise<Socket>((res, rej) => {
      const s = connect({ host: '127.0.0.1', port: o.firstPort + d }, () => res(s));
      s.once('error', rej);
    });
    sock.setNoDelay(true);
    sockets.push(sock);
    let tid = 0;
    let at = -1; // address of the read in flight (-1: idle)
    let rx: Buffer = Buffer.alloc(0);
    const send = (a: number): void => {
      at = a;
      sock.write(mbapReadRequest((tid = (tid + 1) & 0xffff), 1, 3, a, Math.min(125, o.registers - a)));
    };
    sock.on('data', (chunk: Buffer) => {
      rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk]);
      if (rx.length < 6 || rx.length < 6 + rx.readUInt16BE(4)) return;
      const n = rx[8] as number;
      for (let i = 0; i < n; i += 2) sum += (rx[9 + i] as number) * 256 + (rx[10 + i] as number);
      count += n >> 1;
      if (!measuring) for (let k = 0; k < n >> 1; k++) seenIdx.add(d * o.registers + at + k);
      rx = rx.subarray(6 + rx.readUInt16BE(4));
      if (at + 125 < o.registers) send(at + 125);
      else at = -1;
    });
    timers.push(setInterval(() => at < 0 && send(0), o.intervalMs));
  }
  return async () => {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
  };
}

async function modbusOurs(o: Opts): Promise<() => Promise<void>> {
  const cfgs = Array.from({ length: o.devices }, (_, d) =>
    modbusSourceConfig.parse({
      id: `dev${d}`,
      type: 'modbus',
      host: '127.0.0.1',
      port: o.firstPort + d,
      pollIntervalMs: o.intervalMs,
      registers: Array.from({ length: o.registers }, (_, i) => ({ name: `r${i}`, address: i, type: 'uint16' })),
    }),
  );
  return startOurs(cfgs.map((c) => new ModbusSource(c, silentLogger())), o.devices * o.registers, (i) => `dev${Math.floor(i / o.registers)}/r${i % o.registers}`, o);
}

/** VmHWM of /proc/self/status (Linux): the process's peak RSS since it started, in MB. */
function rssHwmMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round((Number(m[1]) * 1024) / 1e6) : 0;
}

const PHASES = { 'opcua-bare': opcuaBare, 'opcua-ours': opcuaOurs, 'modbus-bare': modbusBare, 'modbus-raw': modbusRaw, 'modbus-ours': modbusOurs } as const;

async function main(): Promise<void> {
  const phase = process.argv[2] as keyof typeof PHASES;
  const o = JSON.parse(process.argv[3] as string) as Opts;
  expectedTags = phase.startsWith('opcua') ? o.tags : o.devices * o.registers;
  // V8's own heap sizing for both unless asked (gateway.heapGrowthPercent, default 0)
  const growth = phase.endsWith('-ours') ? o.heapGrowth : o.bareHeapGrowth;
  if (growth !== undefined) applyHeapGrowth(growth);
  const t0 = Date.now();
  // where the RSS peak lives: V8's heap or memory outside it (Buffers), sampled from the start
  let heapPeak = 0;
  let externalPeak = 0;
  let peakAt = 'setup';
  let rssSeen = 0;
  const memTimer = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > rssSeen) {
      rssSeen = m.rss;
      peakAt = measuring ? 'measured window' : 'setup or warm-up';
      heapPeak = m.heapTotal;
      externalPeak = m.external;
    }
  }, 100);
  const stop = await PHASES[phase](o);
  // measure only once every tag has delivered (setup of 10k items can outlast a fixed warm-up on a busy machine)
  const all = (): boolean => Math.max(seen.size, seenIdx.size) >= expectedTags;
  while (!all() && Date.now() - t0 < 180_000) await new Promise((r) => setTimeout(r, 100));
  const setupMs = Date.now() - t0;
  const rssSetup = process.memoryUsage().rss;
  await new Promise((r) => setTimeout(r, o.warmupS * 1000));
  measuring = true;
  const c0 = count + oursSamples();
  const cpu0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  let rssMax = 0;
  const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 250);
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  clearInterval(rssTimer);
  clearInterval(memTimer);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = Number(process.hrtime.bigint() - w0) / 1e6;
  const samples = count + oursSamples() - c0;
  const st = pipelines.map((p) => p.stats());
  const total = (k: keyof ReturnType<AssetPipeline['stats']>): number => st.reduce((n, x) => n + (x[k] as number), 0);
  const fig = {
    phase,
    heap_growth_pct: growth ?? 0,
    ...(maxNotifications === undefined ? {} : { max_notifications_per_publish: maxNotifications }),
    samples_per_s: Math.round((samples / wallMs) * 1000),
    cpu_pct: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10,
    rss_mb: Math.round(process.memoryUsage().rss / 1e6),
    rss_peak_mb: Math.round(rssMax / 1e6),
    // the kernel's high-water mark: the peak over the whole process life, setup included
    rss_hwm_mb: rssHwmMb(),
    // at the highest RSS the 100 ms sampler saw: V8 heap committed, memory outside it, when
    sampled_peak: { rss_mb: Math.round(rssSeen / 1e6), heap_total_mb: Math.round(heapPeak / 1e6), external_mb: Math.round(externalPeak / 1e6), during: peakAt },
    rss_after_setup_mb: Math.round(rssSetup / 1e6),
    heap_used_mb: Math.round(process.memoryUsage().heapUsed / 1e6),
    heap_total_mb: Math.round(process.memoryUsage().heapTotal / 1e6),
    setup_ms: setupMs,
    tags_seen: Math.max(seen.size, seenIdx.size),
    ...(router
      ? {
          assets: pipelines.length,
          windows_per_s: Math.round((windows / wallMs) * 10000) / 10,
          windows_total: total('windows'),
          windows_skipped: total('windowsSkipped'),
          samples_in_assets: total('samples'),
          late_samples: total('lateSamples'),
          unrouted_samples: router.unrouted,
          delay_p50_ms: pct(0.5),
          delay_p99_ms: pct(0.99),
        }
      : {}),
    checksum: sum > 0 ? 1 : 0,
  };
  process.stdout.write(`${JSON.stringify(fig)}\n`);
  await stop();
  process.exit(0);
}

void main();
