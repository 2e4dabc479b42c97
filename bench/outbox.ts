/**
 * Outbox append rate against a bare better-sqlite3 batch insert, in the same run.
 * `npm run bench -- outbox [--records N] [--batch N] [--rounds N]`
 *
 * Both sides get the same records (JSON.stringify of the same payloads), one transaction per
 * batch, a WAL file database in a temp dir, the same page size and synchronous mode; "bare" inserts into a
 * plain table (seq, asset, ts, payload) with one prepared statement. Rounds alternate bare/ours
 * and the best round of each is reported (the machine is shared).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Outbox, outboxConfig, type NewRecord, type RecordClass } from '../src/outbox';
import { silentLogger } from '../src/observability/logger';

interface Args {
  records: number;
  batch: number;
  rounds: number;
}

function parseArgs(args: string[]): Args {
  const get = (k: string, d: number) => {
    const i = args.indexOf(`--${k}`);
    return i >= 0 ? Number(args[i + 1]) : d;
  };
  return { records: get('records', 200_000), batch: get('batch', 500), rounds: get('rounds', 3) };
}

function batches(cls: RecordClass, n: number, size: number): NewRecord[][] {
  const out: NewRecord[][] = [];
  for (let i = 0; i < n; i += size) {
    const b: NewRecord[] = [];
    for (let j = i; j < Math.min(n, i + size); j++) b.push({ cls, asset: `pump-${j % 8}`, ts: 1_732_800_000_000 + j, payload: { tag: 'pump1/accel1', v: Math.round(Math.sin(j) * 1e4) / 1e4, q: 'good', seq: j } });
    out.push(b);
  }
  return out;
}

function bare(dir: string, data: NewRecord[][], sync: 'FULL' | 'NORMAL'): number {
  const db = new Database(join(dir, `bare-${Math.random()}.db`));
  // The outbox's default page size, so both write the same pages per commit.
  db.pragma(`page_size = ${outboxConfig.parse({}).pageSize}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.exec('CREATE TABLE r (seq INTEGER PRIMARY KEY, asset TEXT NOT NULL, ts INTEGER NOT NULL, payload TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO r (seq, asset, ts, payload) VALUES (?, ?, ?, ?)');
  let seq = 1;
  const tx = db.transaction((b: NewRecord[]) => {
    for (const r of b) ins.run(seq++, r.asset, r.ts!, JSON.stringify(r.payload));
  });
  const t0 = process.hrtime.bigint();
  for (const b of data) tx.immediate(b);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  return (seq - 1) / s;
}

async function ours(dir: string, data: NewRecord[][]): Promise<number> {
  const ob = new Outbox({ file: join(dir, `ours-${Math.random()}.db`), gatewayId: 'bench', config: outboxConfig.parse({ maxBytes: 4 * 1024 ** 3 }), logger: silentLogger() });
  await ob.start();
  let n = 0;
  const t0 = process.hrtime.bigint();
  for (const b of data) n += ob.append(b).length;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await ob.stop();
  return n / s;
}

async function compare(dir: string, cls: RecordClass, sync: 'FULL' | 'NORMAL', n: number, size: number, rounds: number) {
  const data = batches(cls, n, size);
  let bestBare = 0;
  let bestOurs = 0;
  for (let r = 0; r < rounds; r++) {
    bestBare = Math.max(bestBare, bare(dir, data, sync));
    bestOurs = Math.max(bestOurs, await ours(dir, data));
  }
  const fig = { records: n, batch: size, sync, bareRecordsPerS: Math.round(bestBare), oursRecordsPerS: Math.round(bestOurs), ratio: Math.round((bestOurs / bestBare) * 100) / 100 };
  process.stderr.write(`${cls}: ${JSON.stringify(fig)}\n`);
  return fig;
}

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const a = parseArgs(args);
  const dir = mkdtempSync(join(tmpdir(), 'pdm-bench-outbox-'));
  try {
    const telemetry = await compare(dir, 'telemetry', 'NORMAL', a.records, a.batch, a.rounds);
    // Alarms commit with synchronous=FULL: one fsync per batch, so fewer, smaller batches.
    const alarm = await compare(dir, 'alarm', 'FULL', Math.max(1000, Math.round(a.records / 20)), Math.max(1, Math.round(a.batch / 10)), a.rounds);
    return { telemetry, alarm };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
