/**
 * One phase of bench/uplink in its own process, so RSS is its own.
 * Usage: node _uplink-phase.js <fill|ours|bare|sqlite> <json options>; prints one JSON line of figures.
 */
import { mainThreadCpuNs } from './_proc-cpu';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { Outbox, outboxConfig, type NewRecord } from '../src/outbox';
import { fragment } from '../src/outbox/body';
import { Uplink, uplinkConfig, MessageEncoder } from '../src/uplink';
import { silentLogger } from '../src/observability/logger';

interface Opts {
  file: string;
  url: string;
  records: number;
  /**
   * Records drained before the clock starts, in the same process (fill appends them in front of
   * `records`): code that has run is compiled, as in a gateway whose uplink was already sending
   * when the outage began. 0: a cold process, the clock from CONNACK.
   */
  warmup: number;
  batch: number;
  inflight: number;
  /** outbox.pageSize of the filled file (the config default when absent). */
  pageSize?: number;
  /** uplink.readAhead (the config default when absent). */
  readAhead?: boolean;
}

const GATEWAY = 'bench-gw';
const SITE = 'bench';
const ASSET = 'pump-1';

function record(i: number): NewRecord {
  return { cls: 'telemetry', asset: ASSET, ts: 1_732_800_000_000 + i, payload: { tag: 'pump1/accel1', v: Math.round(Math.sin(i) * 1e4) / 1e4, q: 'good' } };
}

function rssSampler(): { stop(): { maxRssMB: number; meanRssMB: number } } {
  let max = 0;
  let sum = 0;
  let n = 0;
  const sample = () => {
    const r = process.memoryUsage().rss;
    max = Math.max(max, r);
    sum += r;
    n++;
  };
  const t = setInterval(sample, 100);
  return {
    stop: () => {
      clearInterval(t);
      sample(); // a phase shorter than one tick still reports a measured figure, not 0
      return { maxRssMB: Math.round(max / 1e5) / 10, meanRssMB: Math.round(sum / n / 1e5) / 10 };
    },
  };
}

/**
 * CPU time of this process per record since `since` (user + system, microseconds): on a shared
 * machine wall-clock rates swing with other jobs' load, CPU per record much less.
 */
interface CpuMark {
  readonly process: NodeJS.CpuUsage;
  /** The main (publishing) thread's CPU time in ns (Linux), undefined elsewhere. */
  readonly mainNs?: number;
}

function cpuMark(): CpuMark {
  return { process: process.cpuUsage(), mainNs: mainThreadCpuNs() };
}

/** Process CPU per record and, where the OS tells, the main thread's alone (the read-ahead worker's is in the first only). */
function cpuUsPerRecord(since: CpuMark, records: number): { cpuUsPerRecord: number; mainCpuUsPerRecord?: number } {
  const d = process.cpuUsage(since.process);
  const main = mainThreadCpuNs();
  const round = (us: number) => Math.round((us / records) * 100) / 100;
  return { cpuUsPerRecord: round(d.user + d.system), ...(main !== undefined && since.mainNs !== undefined ? { mainCpuUsPerRecord: round((main - since.mainNs) / 1000) } : {}) };
}

const outboxOf = (o: Opts) => new Outbox({ file: o.file, gatewayId: GATEWAY, config: outboxConfig.parse({ maxBytes: 8 * 1024 ** 3, checkOnStart: 'none', pageSize: o.pageSize }), logger: silentLogger() });

async function fill(o: Opts): Promise<Record<string, unknown>> {
  const ob = outboxOf(o);
  await ob.start();
  const t0 = Date.now();
  const total = o.warmup + o.records;
  for (let i = 0; i < total; i += 1000) {
    const b: NewRecord[] = [];
    for (let j = i; j < Math.min(total, i + 1000); j++) b.push(record(j));
    ob.append(b);
  }
  const s = (Date.now() - t0) / 1000;
  const bytes = ob.stats().bytes;
  await ob.stop();
  const db = new Database(o.file, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  return { filled: total, fillS: s, storedBytes: bytes, pageSize };
}

async function ours(o: Opts): Promise<Record<string, unknown>> {
  const ob = outboxOf(o);
  await ob.start();
  const backlog = ob.totalRecords();
  const up = new Uplink({
    config: uplinkConfig.parse({ url: o.url, protocolVersion: 5, inflight: o.inflight, batch: { maxRecords: o.batch, maxBytes: 16 * 1024 * 1024, maxDelayMs: 0 }, downlink: { enabled: false }, readAhead: o.readAhead }),
    outbox: ob,
    gatewayId: GATEWAY,
    site: SITE,
    logger: silentLogger(),
  });
  const rss = rssSampler();
  const rssBefore = process.memoryUsage().rss;
  // The clock starts at CONNACK, as the bare publisher's (it starts after connectAsync), or
  // once the warm-up records are acked (the backlog then left is what is measured).
  let t0 = 0;
  let measured = backlog;
  let cpu0 = cpuMark();
  const mark = (): void => {
    t0 = Date.now();
    cpu0 = cpuMark();
    measured = ob.totalRecords();
  };
  up.on('state', (st) => {
    if (st === 'up' && t0 === 0 && o.warmup === 0) mark();
  });
  await up.start();
  if (o.warmup > 0) {
    // Polled every millisecond (a setImmediate loop would spin the drain's own thread); the
    // records left when the clock starts are counted exactly, whatever the overshoot.
    while (ob.totalRecords() > backlog - o.warmup) await new Promise((r) => setTimeout(r, 1));
    mark();
  }
  while (ob.totalRecords() > 0) await new Promise((r) => setTimeout(r, 5));
  const s = (Date.now() - t0) / 1000;
  const cpu = cpuUsPerRecord(cpu0, measured);
  const mem = rss.stop();
  const st = up.stats();
  const os = ob.stats();
  await up.stop();
  await ob.stop();
  return { records: measured, warmup: backlog - measured, seconds: s, recordsPerS: Math.round(measured / s), ...cpu, messages: st.messagesSent, bytes: st.bytesSent, readAheadBlocks: os.readAheadBlocks, readAheadDropped: os.readAheadDropped, readAheadWaits: os.readAheadWaits, rssBeforeMB: Math.round(rssBefore / 1e5) / 10, ...mem };
}

async function bare(o: Opts): Promise<Record<string, unknown>> {
  // The same batches as ours would send, encoded by the same codec before the clock starts.
  const encoder = new MessageEncoder(GATEWAY, SITE, false);
  const bodies: Buffer[] = [];
  const total = o.warmup + o.records;
  for (let i = 0; i < total; i += o.batch) {
    const frags: string[] = [];
    for (let j = i; j < Math.min(total, i + o.batch); j++) {
      const r = record(j);
      frags.push(fragment(`${GATEWAY}:${1_732_800_000_000_000 + j}`, r.ts!, JSON.stringify(r.payload)));
    }
    bodies.push(encoder.encode('telemetry', ASSET, [{ body: Buffer.from(frags.join(',')) }]));
  }
  const topic = `pdm/v1/${SITE}/${GATEWAY}/telemetry/${ASSET}`;
  const client = await mqtt.connectAsync(o.url, { protocolVersion: 5, clientId: 'bench-bare', clean: true });
  const rss = rssSampler();
  // The clock from CONNACK, or once the warm-up messages are acked (as ours).
  const warmMessages = Math.ceil(o.warmup / o.batch);
  let t0 = Date.now();
  let cpu0 = cpuMark();
  await new Promise<void>((resolve, reject) => {
    let next = 0;
    let inflight = 0;
    let done = 0;
    const pump = () => {
      while (inflight < o.inflight && next < bodies.length) {
        inflight++;
        client.publish(topic, bodies[next++]!, { qos: 1 }, (err) => {
          if (err) return reject(err);
          inflight--;
          if (++done === warmMessages) {
            t0 = Date.now();
            cpu0 = cpuMark();
          }
          if (done === bodies.length) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  const s = (Date.now() - t0) / 1000;
  const measured = total - warmMessages * o.batch;
  const cpu = cpuUsPerRecord(cpu0, measured);
  const mem = rss.stop();
  await client.endAsync();
  return { records: measured, warmup: total - measured, seconds: s, recordsPerS: Math.round(measured / s), ...cpu, messages: bodies.length, ...mem };
}

/**
 * The storage side alone: bare better-sqlite3 reading the filled backlog's blocks, a message's
 * worth (`batch` records) at a time, and deleting them by key range, no MQTT.
 */
async function sqlite(o: Opts): Promise<Record<string, unknown>> {
  const db = new Database(o.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const sel = db.prepare<[number], [number, number, Buffer]>('SELECT key, n, body FROM b_telemetry WHERE key > ? ORDER BY key LIMIT 1').raw();
  const del = db.prepare('DELETE FROM b_telemetry WHERE key <= ?');
  let t0 = Date.now();
  let cpu0 = cpuMark();
  let cursor = 0;
  let n = 0;
  let warm = o.warmup === 0 ? 0 : -1;
  for (;;) {
    let got = 0;
    for (let row = sel.get(cursor); row; row = got < o.batch ? sel.get(cursor) : undefined) {
      cursor = row[0];
      got += row[1];
    }
    if (got === 0) break;
    n += got;
    del.run(cursor);
    if (warm < 0 && n >= o.warmup) {
      warm = n;
      t0 = Date.now();
      cpu0 = cpuMark();
    }
  }
  const s = (Date.now() - t0) / 1000;
  const measured = n - Math.max(0, warm);
  const cpu = cpuUsPerRecord(cpu0, measured);
  db.close();
  return { records: measured, warmup: n - measured, seconds: s, recordsPerS: Math.round(measured / s), ...cpu };
}

const phases: Record<string, (o: Opts) => Promise<Record<string, unknown>>> = { fill, ours, bare, sqlite };

async function run(): Promise<void> {
  const [phase, json] = process.argv.slice(2);
  const f = phases[phase ?? ''];
  if (!f) throw new Error(`unknown phase ${phase}`);
  const out = await f(JSON.parse(json ?? '{}') as Opts);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

run().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
