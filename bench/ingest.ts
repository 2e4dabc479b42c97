/**
 * `npm run bench -- ingest [--seconds N] [--warmup N] [--rounds N] [--tags N] [--devices N] [--registers N] [--raw] [--channels N] [--lateness-ms N] [--stage window|source] [--only opcua|modbus] [--heap-growth PCT] [--bare-heap-growth PCT] [--bare-max-notifications N]`
 *
 * Sustained ingest through the gateway up to the window stage (sources -> router -> asset
 * pipelines of `channels` tags each, 100 ms frames, 1 s windows; see bench/_ingest-phase.ts)
 * beside the bare library doing the same reads and touching every value, in the same run
 * (`--stage source`: our sources alone, no window stage, to see which part costs what):
 *  (a) OPC-UA: N monitored items at 100 ms on a node-opcua server in another process
 *      (test/interop/peers/opcua-peer.js): our OpcuaSource vs a bare ClientMonitoredItemGroup;
 *  (b) Modbus TCP: D devices x R holding registers at 100 ms from fast raw-socket responders in
 *      another process (bench/_modbus-peer.ts; modbus-serial's ServerTCP answers ~1 ms late and
 *      would measure itself): our ModbusSource vs a bare modbus-serial readHoldingRegisters loop
 *      (`--raw`: and vs the same reads framed on raw sockets in a few lines, the floor of any client).
 * Each phase runs in its own process (bench/_ingest-phase.ts) so its CPU and RSS are its own.
 * Both run with V8's own heap sizing, the gateway's default; `--heap-growth PCT` runs ours as
 * gateway.heapGrowthPercent: PCT would, `--bare-heap-growth PCT` the bare client likewise.
 * OPC-UA: ours asks for the source's default maxNotificationsPerPublish (2000), the bare client
 * for `--bare-max-notifications N` (default 0: no limit, node-opcua's client default).
 */
import { spawn } from 'node:child_process';
import { phaseNodeArgs, procCpuS } from './_proc-cpu';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { median, r2 } from './_stats';

interface PhaseFigures {
  phase: string;
  samples_per_s: number;
  cpu_pct: number;
  rss_mb: number;
  rss_peak_mb: number;
  rss_hwm_mb?: number;
  setup_ms: number;
  /** The V8 heap growth percent the phase ran with (0 = V8's choice). */
  heap_growth_pct?: number;
  /** OPC-UA: maxNotificationsPerPublish asked for (0 = no limit). */
  max_notifications_per_publish?: number;
  peer_cpu_pct?: number;
  tags_seen?: number;
  assets?: number;
  windows_per_s?: number;
  windows_skipped?: number;
  late_samples?: number;
  unrouted_samples?: number;
  delay_p99_ms?: number;
}

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** A run of consecutive free ports (the Modbus responders listen on first..first+n-1). */
async function freePortRun(n: number): Promise<number> {
  for (;;) {
    const first = await freePort();
    const ok = await Promise.all(
      Array.from({ length: n }, (_, i) => new Promise<boolean>((res) => {
        const s = createServer();
        s.once('error', () => res(false));
        s.listen(first + i, '127.0.0.1', () => s.close(() => res(true)));
      })),
    );
    if (ok.every(Boolean)) return first;
  }
}

async function startPeer(file: string, args: string[]): Promise<Peer> {
  const p = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => {
    createInterface({ input: p.stdout! }).on('line', (l) => l.trim() === 'READY' && res());
    p.once('exit', (c) => rej(new Error(`${file} exited with ${c}`)));
  });
  return { pid: p.pid as number, kill: () => new Promise((r) => (p.once('exit', () => r()), p.kill('SIGTERM'))) };
}

async function phase(name: string, opts: Record<string, unknown>, peerPid: number): Promise<PhaseFigures & { peer_cpu_pct: number }> {
  const c0 = procCpuS(peerPid);
  const t0 = Date.now();
  const p = spawn(process.execPath, [...phaseNodeArgs(name), join(__dirname, '_ingest-phase.js'), name, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let line = '';
  createInterface({ input: p.stdout! }).on('line', (l) => l.startsWith('{') && (line = l));
  await new Promise((r) => p.once('exit', r));
  const peerPct = Math.round(((procCpuS(peerPid) - c0) / ((Date.now() - t0) / 1000)) * 1000) / 10;
  if (!line) throw new Error(`phase ${name} printed no figures`);
  const fig = { ...(JSON.parse(line) as PhaseFigures), peer_cpu_pct: peerPct };
  const win = fig.windows_per_s === undefined ? '' : `  ${fig.windows_per_s} windows/s (${fig.assets} assets)`;
  process.stderr.write(`  ${name.padEnd(12)} ${fig.samples_per_s} samples/s  cpu ${fig.cpu_pct}%  ${us(fig)} us/sample  rss ${fig.rss_mb} MB (max ${fig.rss_peak_mb}, peak since start ${fig.rss_hwm_mb})  peer cpu ${peerPct}%${win}\n`);
  return fig;
}

type Peer = { pid: number; kill: () => Promise<void> };

/** CPU microseconds per sample (the comparison that holds when the peer delivers unequal rates). */
function us(f: PhaseFigures): number {
  return Math.round(((f.cpu_pct / 100) * 1e6 / Math.max(1, f.samples_per_s)) * 1000) / 1000;
}

/**
 * Phases alternate (bare, ours, bare, ours, ...) on a shared machine, each against a freshly started
 * peer (a node-opcua server that served one large subscription answers the next one differently).
 * With `withRaw` (Modbus `--raw`) a third phase per round runs the reads on raw sockets (the floor).
 */
async function rounds(n: number, opts: Record<string, unknown>, startPeer: () => Promise<Peer>, kind: string, withRaw = false): Promise<{ bare: PhaseFigures[]; ours: PhaseFigures[]; raw: PhaseFigures[] }> {
  const out = { bare: [] as PhaseFigures[], ours: [] as PhaseFigures[], raw: [] as PhaseFigures[] };
  const run = async (side: keyof typeof out): Promise<void> => {
    const peer = await startPeer();
    try {
      out[side].push(await phase(`${kind}-${side}`, opts, peer.pid));
    } finally {
      await peer.kill();
    }
  };
  const order: (keyof typeof out)[] = withRaw ? ['bare', 'ours', 'raw'] : ['bare', 'ours'];
  for (let i = 0; i < n; i++) {
    // which side goes first alternates too, so neither always runs on the machine the other warmed
    for (const side of i % 2 === 0 ? order : [...order].reverse()) await run(side);
  }
  return out;
}

/**
 * Per round, ours against the bare phase run next to it (the pair shares the machine's load of
 * the moment); the headline is the median over rounds, every round listed beside it.
 */
function compare(prefix: string, ours: PhaseFigures[], bare: PhaseFigures[], raw: PhaseFigures[] = []): Record<string, unknown> {
  const ratios = ours.map((o, i) => r2(us(o) / us(bare[i] as PhaseFigures)));
  const vsRaw = raw.length === 0 ? [] : ours.map((o, i) => r2(us(o) / us(raw[i] as PhaseFigures)));
  const pick = <K extends keyof PhaseFigures>(xs: PhaseFigures[], k: K): PhaseFigures[K][] => xs.map((x) => x[k]);
  return {
    [`${prefix}_cpu_per_sample_ratio`]: r2(median(ratios)),
    [`${prefix}_cpu_per_sample_ratio_rounds`]: ratios,
    [`${prefix}_us_per_sample`]: Math.round(median(ours.map(us)) * 1000) / 1000,
    [`${prefix}_bare_us_per_sample`]: Math.round(median(bare.map(us)) * 1000) / 1000,
    [`${prefix}_us_per_sample_rounds`]: ours.map(us),
    [`${prefix}_bare_us_per_sample_rounds`]: bare.map(us),
    ...(raw.length === 0
      ? {}
      : {
          [`${prefix}_cpu_per_sample_ratio_vs_raw`]: r2(median(vsRaw)),
          [`${prefix}_cpu_per_sample_ratio_vs_raw_rounds`]: vsRaw,
          [`${prefix}_raw_us_per_sample_rounds`]: raw.map(us),
        }),
    [`${prefix}_samples_per_s`]: median(pick(ours, 'samples_per_s')),
    [`${prefix}_bare_samples_per_s`]: median(pick(bare, 'samples_per_s')),
    [`${prefix}_cpu_pct`]: median(pick(ours, 'cpu_pct')),
    [`${prefix}_bare_cpu_pct`]: median(pick(bare, 'cpu_pct')),
    [`${prefix}_windows_per_s`]: median(ours.map((o) => o.windows_per_s ?? 0)),
    [`${prefix}_assets`]: ours[0]?.assets ?? 0,
    [`${prefix}_windows_skipped`]: ours.reduce((n, o) => n + (o.windows_skipped ?? 0), 0),
    [`${prefix}_late_samples`]: ours.reduce((n, o) => n + (o.late_samples ?? 0), 0),
    [`${prefix}_unrouted_samples`]: ours.reduce((n, o) => n + (o.unrouted_samples ?? 0), 0),
    [`${prefix}_delay_p99_ms_rounds`]: pick(ours, 'delay_p99_ms'),
    [`${prefix}_rss_end_mb_rounds`]: pick(ours, 'rss_mb'),
    [`${prefix}_rss_max_mb_rounds`]: pick(ours, 'rss_peak_mb'),
    [`${prefix}_bare_rss_end_mb_rounds`]: pick(bare, 'rss_mb'),
    [`${prefix}_bare_rss_max_mb_rounds`]: pick(bare, 'rss_peak_mb'),
    [`${prefix}_rss_hwm_mb_rounds`]: pick(ours, 'rss_hwm_mb'),
    [`${prefix}_bare_rss_hwm_mb_rounds`]: pick(bare, 'rss_hwm_mb'),
    [`${prefix}_peer_cpu_pct_rounds`]: pick(ours, 'peer_cpu_pct'),
    [`${prefix}_heap_growth_pct`]: ours[0]?.heap_growth_pct ?? 0,
    [`${prefix}_bare_heap_growth_pct`]: bare[0]?.heap_growth_pct ?? 0,
    ...(ours[0]?.max_notifications_per_publish === undefined
      ? {}
      : { [`${prefix}_max_notifications_per_publish`]: ours[0].max_notifications_per_publish, [`${prefix}_bare_max_notifications_per_publish`]: bare[0]?.max_notifications_per_publish }),
  };
}

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const stage = args.includes('--stage') ? (args[args.indexOf('--stage') + 1] as 'window' | 'source') : 'window';
  const bareGrowth = args.includes('--bare-heap-growth') ? arg(args, 'bare-heap-growth', 0) : undefined;
  const base = { intervalMs: 100, warmupS: arg(args, 'warmup', 5), seconds: arg(args, 'seconds', 15), channels: arg(args, 'channels', 100), stage, heapGrowth: args.includes('--heap-growth') ? arg(args, 'heap-growth', 0) : undefined, bareHeapGrowth: bareGrowth, bareMaxNotifications: arg(args, 'bare-max-notifications', 0) };
  const nRounds = arg(args, 'rounds', 2);
  const out: Record<string, unknown> = { interval_ms: 100, seconds: base.seconds, rounds: nRounds, stage, channels_per_asset: base.channels, load_avg_1m: Math.round(loadavg()[0]! * 10) / 10 };
  if (only !== 'modbus') {
    const tags = arg(args, 'tags', 10_000);
    const port = await freePort();
    const peerFile = resolve(__dirname, '../../test/interop/peers/opcua-peer.js');
    process.stderr.write(`OPC-UA: ${tags} monitored items at 100 ms, a node-opcua server in another process\n`);
    // the node-opcua peer, short of CPU, delivers values about 1 s after their source time (p99 1.1 s
    // measured): frames stay open 2 s so they are not dropped as late; Modbus stamps on receipt
    const opts = { ...base, endpoint: `opc.tcp://127.0.0.1:${port}`, tags, latenessMs: arg(args, 'lateness-ms', 2000) };
    const peer = (): Promise<Peer> => startPeer(peerFile, ['--port', String(port), '--vars', String(tags), '--tick', '100', '--max-notifications', '50000']);
    const { bare, ours } = await rounds(nRounds, opts, peer, 'opcua');
    Object.assign(out, { opcua_tags: tags, opcua_tags_seen: Math.min(...ours.map((o) => o.tags_seen ?? 0)), ...compare('opcua', ours, bare) });
  }
  if (only !== 'opcua') {
    const devices = arg(args, 'devices', 20);
    const registers = arg(args, 'registers', 500);
    const firstPort = await freePortRun(devices);
    process.stderr.write(`Modbus TCP: ${devices} devices x ${registers} registers at 100 ms, raw-socket responders in another process\n`);
    const opts = { ...base, firstPort, devices, registers, latenessMs: arg(args, 'lateness-ms', 100) };
    const peer = (): Promise<Peer> => startPeer(join(__dirname, '_modbus-peer.js'), [String(firstPort), String(devices), String(registers)]);
    const { bare, ours, raw } = await rounds(nRounds, opts, peer, 'modbus', args.includes('--raw'));
    Object.assign(out, { modbus_tags: devices * registers, modbus_tags_seen: Math.min(...ours.map((o) => o.tags_seen ?? 0)), ...compare('modbus', ours, bare, raw) });
  }
  return out;
}
