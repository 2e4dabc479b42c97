/**
 * `npm run bench -- startup [--rss-after 60]`
 *
 * The demo as a user starts it (`pdm-gateway run --config config/demo.yaml`, compiled CLI, its own
 * process; ports moved to free ones, data in a temp folder): time from spawn to "gateway running"
 * and to the first per-window summary received by an MQTT subscriber on the embedded broker, and
 * the gateway process's RSS after `--rss-after` seconds. The raw-library floor, measured in the
 * same run: a bare Node process that only loads the same libraries (node-opcua, modbus-serial,
 * mqtt, aedes, better-sqlite3, onnxruntime-node, pino, zod) — its load time and its RSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { demoConfig } from '../test/gateway/demo-config';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const LIBS = ['node-opcua', 'modbus-serial', 'mqtt', 'aedes', 'better-sqlite3', 'onnxruntime-node', 'pino', 'zod', 'yaml', 'prom-client'];

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const rssAfterS = arg(args, 'rss-after', 60);

  // Raw floor: load the same libraries in a bare process, report load time and RSS.
  const t0 = process.hrtime.bigint();
  const bare = spawnSync(process.execPath, ['-e', `${LIBS.map((l) => `require(${JSON.stringify(l)})`).join(';')};const m=/VmRSS:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'));console.log('RSS_KB='+m[1])`], { cwd: ROOT, encoding: 'utf8' });
  const bareLoadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const bareRssMb = Number(/RSS_KB=(\d+)/.exec(bare.stdout)?.[1]) / 1024;

  // The shipped demo with every port moved to a free one (the same helper the tests use).
  const { config: c, ports } = await demoConfig(10000, join(ROOT, 'config/demo.yaml'));
  const dir = mkdtempSync(join(tmpdir(), 'pdm-bench-startup-'));
  const file = join(dir, 'demo.yaml');
  writeFileSync(file, stringify({ ...c, gateway: { ...c.gateway, dataDir: join(dir, 'data'), modelsDir: join(ROOT, 'models') } }));

  const start = Date.now();
  const child = spawn(process.execPath, [CLI, 'run', '--config', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let runningMs: number | undefined;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (runningMs === undefined && out.includes('gateway running')) runningMs = Date.now() - start;
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));

  // Subscribe as the cloud would, retrying until the embedded broker is up.
  let firstSummaryMs: number | undefined;
  const summaries = new Map<string, number>();
  let sub: mqtt.MqttClient | undefined;
  while (!sub && Date.now() - start < 60000) {
    try {
      sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 1000 });
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (!sub) throw new Error(`embedded broker never came up:\n${out.slice(-2000)}`);
  sub.on('message', (topic) => {
    if (!topic.includes('/summary/')) return;
    firstSummaryMs ??= Date.now() - start;
    const asset = topic.split('/').pop()!;
    summaries.set(asset, (summaries.get(asset) ?? 0) + 1);
  });
  await sub.subscribeAsync('pdm/v1/#', { qos: 1 });
  while (firstSummaryMs === undefined && Date.now() - start < 90000) await new Promise((r) => setTimeout(r, 50));
  process.stderr.write(`gateway running after ${runningMs} ms, first summary after ${firstSummaryMs} ms; waiting until ${rssAfterS} s for RSS\n`);
  while (Date.now() - start < rssAfterS * 1000) await new Promise((r) => setTimeout(r, 500));
  const rss = rssMb(child.pid!);
  await sub.endAsync();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const tStop = Date.now();
  child.kill('SIGTERM');
  const code = await exited;
  const stopMs = Date.now() - tStop;
  rmSync(dir, { recursive: true, force: true });
  if (firstSummaryMs === undefined) throw new Error(`no summary within 90 s:\n${out.slice(-2000)}`);
  return {
    time_to_running_ms: runningMs,
    time_to_first_summary_ms: firstSummaryMs,
    window_ms: c.assets[0]?.window.size,
    summaries_received: Object.fromEntries(summaries),
    rss_mb_after_s: rssAfterS,
    rss_mb: Math.round(rss * 10) / 10,
    bare_libs_load_ms: Math.round(bareLoadMs),
    bare_libs_rss_mb: Math.round(bareRssMb * 10) / 10,
    running_vs_bare_load_ratio: runningMs !== undefined ? Math.round((runningMs / bareLoadMs) * 100) / 100 : null,
    rss_vs_bare_ratio: Math.round((rss / bareRssMb) * 100) / 100,
    stop_ms: stopMs,
    exit_code: code,
  };
}
