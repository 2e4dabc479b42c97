import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { makeOutbox } from '../outbox/helpers';
import { makeUplink, sleep, startIngest, waitFor } from '../uplink/helpers';
import { Mosquitto } from '../uplink/mosquitto';

const ROOT = resolve(__dirname, '../..');
const KILLS = Number(process.env.PDM_CRASH_KILLS ?? 20);

/**
 * The gateway side as a child process (compiled code from dist/): appends batches as fast as
 * 2,000 records/s allows and writes each batch's ids to a side file only after append()
 * returned, so every id in that file was promised durable.
 */
const CHILD = `
const { appendFileSync } = require('node:fs');
const { Outbox, outboxConfig } = require(${JSON.stringify(join(ROOT, 'dist/src/outbox'))});
const { Uplink, uplinkConfig } = require(${JSON.stringify(join(ROOT, 'dist/src/uplink'))});
const { silentLogger } = require(${JSON.stringify(join(ROOT, 'dist/src/observability/logger'))});
const [file, url, acked] = process.argv.slice(2);
const logger = silentLogger();
const outbox = new Outbox({ file, gatewayId: 'gw-crash', config: outboxConfig.parse({}), logger });
const uplink = new Uplink({ config: uplinkConfig.parse({ url, protocolVersion: 5, reconnect: { initialMs: 100, maxMs: 500 }, batch: { maxDelayMs: 50 } }), outbox, gatewayId: 'gw-crash', site: 's1', logger });
(async () => {
  await outbox.start();
  await uplink.start();
  let n = 0;
  setInterval(() => {
    const batch = [];
    for (let i = 0; i < 20; i++, n++) batch.push({ cls: n % 100 === 0 ? 'alarm' : 'telemetry', asset: 'm' + (n % 3), payload: { pid: process.pid, n } });
    const ids = outbox.append(batch);
    appendFileSync(acked, ids.join('\\n') + '\\n');
  }, 10);
  process.stdout.write('ready\\n');
})();
`;

function spawnChild(dir: string, file: string, url: string, acked: string): Promise<ChildProcess> {
  const script = join(dir, 'child.js');
  if (!existsSync(script)) writeFileSync(script, CHILD);
  const child = spawn(process.execPath, [script, file, url, acked], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    child.stdout!.once('data', () => res(child));
    child.once('exit', (code) => rej(new Error(`child exited early with ${code}`)));
  });
}

describe('Crash: SIGKILL the producing gateway process at random moments', () => {
  let dir: string;
  let mosq: Mosquitto;
  beforeAll(() => {
    // The child runs compiled code: build it (tsc, incremental enough for a test run).
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
    dir = mkdtempSync(join(tmpdir(), 'pdm-crash-'));
  });
  afterAll(async () => {
    await mosq?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${KILLS} kills: integrity ok after each, every record whose append() returned reaches the cloud`, async () => {
    mosq = new Mosquitto();
    await mosq.start();
    const ingest = await startIngest(mosq.url, 'cloud-crash');
    const file = join(dir, 'outbox.db');
    const acked = join(dir, 'acked.txt');
    let offlineSeen = 0;
    try {
      for (let k = 0; k < KILLS; k++) {
        const child = await spawnChild(dir, file, mosq.url, acked);
        await sleep(300 + Math.random() * 1200);
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
        const db = new Database(file);
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        db.close();
        // The broker publishes the retained last will as soon as the socket drops.
        if (await waitFor(() => ingest.statuses.get('gw-crash') === 'offline', 3000, 'offline').then(() => true, () => false)) offlineSeen++;
      }
      // Restart once more, in-process, and let it drain without producing.
      const ob = makeOutbox(file, {}, undefined, 'gw-crash');
      await ob.start();
      const up = makeUplink(ob, mosq.url, { protocolVersion: 5 }, undefined, 'gw-crash');
      await up.start();
      try {
        await waitFor(() => ob.stats().records === 0, 60_000, 'final drain');
      } finally {
        await up.stop();
        await ob.stop();
      }
      const ids = readFileSync(acked, 'utf8')
        .split('\n')
        .filter((l) => /^gw-crash:\d+$/.test(l));
      await waitFor(() => ingest.store.count() >= ids.length, 30_000, 'cloud has every acknowledged id');
      expect(ids.length).toBeGreaterThan(KILLS * 300);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ingest.store.missing(ids)).toEqual([]);
      expect(ingest.store.orderViolations()).toBe(0);
      expect(offlineSeen).toBe(KILLS);
      process.stdout.write(`crash: ${KILLS} SIGKILLs, ${ids.length} acknowledged appends, cloud has ${ingest.store.count()} records, duplicates ${ingest.store.duplicates()}\n`);
    } finally {
      await ingest.stop();
    }
  });
});
