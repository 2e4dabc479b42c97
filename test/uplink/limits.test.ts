import { join } from 'node:path';
import mqtt from 'mqtt';
import { ManualClock } from '../../src/core/clock';
import type { Outbox } from '../../src/outbox';
import type { Uplink } from '../../src/uplink';
import { makeOutbox, telemetry, tempDir } from '../outbox/helpers';
import { makeUplink, sleep, startBroker, startIngest, waitFor } from './helpers';
import type { EmbeddedBroker } from '../../src/broker';
import type { CloudIngest } from '../../src/cloud/ingest';

describe('Uplink batching delay, rate limits, data budget and deflate', () => {
  let broker: EmbeddedBroker;
  let ingest: CloudIngest;
  const running: { stop(): Promise<void> }[] = [];
  beforeEach(async () => {
    broker = await startBroker();
    ingest = await startIngest(broker.url);
  });
  afterEach(async () => {
    for (const m of running.splice(0).reverse()) await m.stop();
    await ingest.stop();
    await broker.stop();
  });

  it('waits up to maxDelayMs to fill a batch, but never holds back alarms', async () => {
    const ob = makeOutbox();
    await ob.start();
    running.push(ob);
    const up = makeUplink(ob, broker.url, { batch: { maxRecords: 100, maxDelayMs: 400 } });
    await up.start();
    running.push(up);
    await waitFor(() => up.stats().state === 'up', 5000, 'up');
    ob.append(telemetry(10));
    const alarm = ob.append([{ cls: 'alarm', asset: 'a1', payload: 'hot' }]);
    await waitFor(() => ingest.store.has(alarm[0]!), 1000, 'alarm');
    expect(ingest.store.count('telemetry')).toBe(0);
    await waitFor(() => up.stats().recordsSent === 11, 2000, 'delayed batch');
    expect(up.stats().messagesSent).toBe(2);
  });

  it('holds to messages per second', async () => {
    const ob = makeOutbox(':memory:', { blockMaxRecords: 10 });
    await ob.start();
    running.push(ob);
    ob.append(telemetry(100));
    const up = makeUplink(ob, broker.url, { batch: { maxRecords: 10, maxDelayMs: 0 }, rate: { messagesPerSecond: 5 } });
    const t0 = Date.now();
    await up.start();
    running.push(up);
    await waitFor(() => up.stats().recordsSent === 100, 10000, 'drain');
    // 10 messages, a burst of 5, then one per 200 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(up.stats().rateLimited).toBeGreaterThan(0);
  });

  it('holds to bytes per second', async () => {
    const ob = makeOutbox(':memory:', { blockMaxRecords: 10 });
    await ob.start();
    running.push(ob);
    ob.append(telemetry(60, 'a1', 1000)); // ~62 kB
    const up = makeUplink(ob, broker.url, { batch: { maxRecords: 10, maxDelayMs: 0 }, rate: { bytesPerSecond: 30_000 } });
    const t0 = Date.now();
    await up.start();
    running.push(up);
    await waitFor(() => up.stats().recordsSent === 60, 10000, 'drain');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(up.stats().bytesSent / ((Date.now() - t0) / 1000 + 1)).toBeLessThan(30_000);
  });

  it('thins telemetry near the daily budget, then sends only alarms and gaps', async () => {
    const ob = makeOutbox();
    await ob.start();
    running.push(ob);
    const up = makeUplink(ob, broker.url, { rate: { dailyBudgetBytes: 200_000, thinAtRatio: 0.5, thinKeepEvery: 10 } });
    await up.start();
    running.push(up);
    ob.append(telemetry(100, 'a1', 1000));
    await waitFor(() => up.stats().recordsSent === 100, 5000, 'first 100');
    expect(up.stats().budgetMode).toBe('thin');
    ob.append(telemetry(1000, 'a1', 1000));
    await waitFor(() => ob.stats().backlog_telemetry === 0 && ob.stats().backlog_gap === 0, 5000, 'thinned drain');
    const s = up.stats();
    expect(s.droppedForBudget).toBe(900);
    expect(s.budgetMode).toBe('exhausted');
    await waitFor(() => ingest.store.gaps().length === 1, 3000, 'gap at the cloud');
    expect(ingest.store.gaps()[0]).toMatchObject({ cls: 'telemetry', reason: 'budget', count: 900, keptEvery: 10 });
    expect(ingest.store.count('telemetry')).toBe(200);
    const tele = ob.append(telemetry(5));
    const alarm = ob.append([{ cls: 'alarm', asset: 'a1', payload: 'still sent' }]);
    await waitFor(() => ingest.store.has(alarm[0]!), 3000, 'alarm over budget');
    await sleep(300);
    expect(ingest.store.missing(tele)).toEqual(tele);
    expect(ob.stats().backlog_telemetry).toBe(5);
  });

  // The "thinned up to" mark once lived only in the planner: after a restart in thin mode the
  // survivors of the last thinning were thinned again, and extra budget gaps were sent.
  it('does not thin the survivors of a budget thinning again after a restart', async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, 'thin.db');
    // A clock that stands still: the message-rate bucket of the second run never refills.
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
    const budget = { dailyBudgetBytes: 400_000, thinAtRatio: 0.25, thinKeepEvery: 10 };
    const run = async (rate: Record<string, number>, f: (ob: Outbox, up: Uplink) => Promise<void>) => {
      const ob = makeOutbox(file, { blockMaxRecords: 10 }, clock);
      await ob.start();
      const up = makeUplink(ob, broker.url, { rate: { ...budget, ...rate }, batch: { maxRecords: 10, maxDelayMs: 0 } }, clock);
      await up.start();
      try {
        await f(ob, up);
      } finally {
        await up.stop();
        await ob.stop();
      }
    };
    try {
      const first = await (async () => {
        let ids: string[] = [];
        await run({}, async (ob, up) => {
          ids = ob.append(telemetry(100, 'a1', 1000));
          await waitFor(() => up.stats().recordsSent === 100, 5000, 'first 100');
          expect(up.stats().budgetMode).toBe('thin');
        });
        return ids;
      })();
      let backlog = 0;
      await run({ messagesPerSecond: 1 }, async (ob, up) => {
        ob.append(telemetry(1000, 'a1', 1000));
        await waitFor(() => up.stats().droppedForBudget === 900 && up.stats().messagesSent === 1, 5000, 'thinned, one message out');
        await sleep(200);
        backlog = ob.stats().backlog_telemetry;
        expect(backlog).toBeGreaterThanOrEqual(90);
      });
      await run({}, async (ob, up) => {
        expect(up.stats().budgetMode).toBe('thin');
        await waitFor(() => ob.stats().records === 0, 5000, 'drained after the restart');
        expect(up.stats().droppedForBudget).toBe(0);
        expect(ob.stats().gapRecords).toBe(0);
      });
      await waitFor(() => ingest.store.count('telemetry') === 200, 3000, 'every survivor at the cloud');
      expect(ingest.store.missing(first)).toEqual([]);
      expect(ingest.store.gaps()).toEqual([expect.objectContaining({ cls: 'telemetry', reason: 'budget', count: 900, keptEvery: 10 })]);
    } finally {
      cleanup();
    }
  });

  it('fills messages by bytes: with a small batch.maxBytes each message holds whole blocks within it, as many as fit', async () => {
    const MAX = 2048;
    const sniff = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    running.push({ stop: () => sniff.endAsync(true) }); // also when the test fails: no client left reconnecting
    const bodies: Buffer[] = [];
    sniff.on('message', (_t, p) => bodies.push(p));
    await sniff.subscribeAsync('pdm/v1/s1/gw1/telemetry/#', { qos: 1 });
    const ob = makeOutbox(':memory:', { blockMaxRecords: 5 });
    await ob.start();
    running.push(ob);
    const ids = ob.append(telemetry(200, 'a1', 60));
    // The stored blocks' body sizes, as the uplink will see them (lease, then give back).
    const blocks = ob.lease(1000);
    const sizes = blocks.map((b) => b.body.length + 1);
    ob.release(blocks);
    // Greedy packing of whole blocks up to MAX bytes of record bodies.
    let expected = 0;
    for (let i = 0, used = Infinity; i < sizes.length; i++) {
      if (used + sizes[i]! > MAX) {
        expected++;
        used = 0;
      }
      used += sizes[i]!;
    }
    const up = makeUplink(ob, broker.url, { batch: { maxRecords: 500, maxBytes: MAX, maxDelayMs: 0 } });
    await up.start();
    running.push(up);
    await waitFor(() => ingest.store.missing(ids).length === 0, 5000, 'all records');
    // the subscriber can see the last message before the uplink has its PUBACK: wait for both
    await waitFor(() => bodies.length === expected && up.stats().messagesSent === expected, 5000, `${expected} messages`);
    expect(expected).toBeGreaterThan(5);
    expect(up.stats().messagesSent).toBe(expected);
    const records = bodies.map((b) => (JSON.parse(b.toString()) as { records: unknown[] }).records);
    // Each message's records array (without its brackets) is within MAX.
    for (const r of records) expect(JSON.stringify(r).length - 2).toBeLessThanOrEqual(MAX);
    // As many as fit: a message plus the next message's first block would exceed MAX.
    for (let i = 0; i + 1 < records.length; i++) expect(JSON.stringify(records[i]).length - 2 + 1 + JSON.stringify(records[i + 1]!.slice(0, 5)).length - 2).toBeGreaterThan(MAX);
    expect(records.flat().map((r) => (r as { id: string }).id)).toEqual(ids);
  });

  it('deflates message bodies when configured; the ingest inflates them', async () => {
    const sniff = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    running.push({ stop: () => sniff.endAsync(true) }); // also when the test fails: no client left reconnecting
    const firstBytes: number[] = [];
    sniff.on('message', (_t, p) => firstBytes.push(p[0]!));
    await sniff.subscribeAsync('pdm/v1/s1/gw1/telemetry/#', { qos: 1 });
    const ob = makeOutbox(':memory:', { blockMaxRecords: 100 });
    await ob.start();
    running.push(ob);
    const ids = ob.append(telemetry(300, 'a1', 100));
    const up = makeUplink(ob, broker.url, { batch: { maxRecords: 100, maxDelayMs: 0, deflate: true } });
    await up.start();
    running.push(up);
    await waitFor(() => ingest.store.missing(ids).length === 0, 5000, 'all records');
    await waitFor(() => firstBytes.length === 3, 2000, 'sniffed');
    expect(firstBytes).toEqual([0x78, 0x78, 0x78]);
    expect(up.stats().bytesSent).toBeLessThan(300 * 100 * 0.5);
  });

  it('persists the day\'s budget count in the outbox, so a restart does not reset it; a new UTC day starts afresh', async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, 'budget.db');
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
    const rate = { dailyBudgetBytes: 1_000_000 };
    const run = async (f: (ob: Outbox, up: Uplink) => Promise<void>) => {
      const ob = makeOutbox(file, {}, clock);
      await ob.start();
      const up = makeUplink(ob, broker.url, { rate }, clock);
      await up.start();
      try {
        await f(ob, up);
      } finally {
        await up.stop();
        await ob.stop();
      }
    };
    try {
      let spent = 0;
      await run(async (ob, up) => {
        ob.append(telemetry(100, 'a1', 1000));
        await waitFor(() => up.stats().recordsSent === 100, 5000, 'sent');
        spent = up.stats().budgetSpentBytes;
        expect(spent).toBeGreaterThan(100_000);
      });
      await run(async (ob, up) => {
        expect(ob.meta('uplink_budget_spent')).toBe(spent);
        expect(up.stats().budgetSpentBytes).toBe(spent);
        ob.append(telemetry(10, 'a1', 1000));
        await waitFor(() => up.stats().recordsSent === 10, 5000, 'sent after the restart');
        expect(up.stats().budgetSpentBytes).toBeGreaterThan(spent + 10_000);
        spent = up.stats().budgetSpentBytes;
      });
      await run(async (_ob, up) => {
        expect(up.stats().budgetSpentBytes).toBe(spent);
      });
      clock.advance(24 * 3600_000);
      await run(async (_ob, up) => {
        expect(up.stats().budgetSpentBytes).toBe(0);
      });
    } finally {
      cleanup();
    }
  });
});
