import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataChangeTrigger, DataType, DataValue, SessionContext, StatusCodes, Variant } from 'node-opcua';
import { opcuaSourceConfig } from '../../src/sources/opcua/config';
import { OpcuaSource } from '../../src/sources/opcua/opcua-source';
import { silentLogger } from '../../src/observability/logger';
import { freePort } from '../helpers/ports';
import { TestOpcuaServer } from '../helpers/opcua-server';
import { SourceRecorder } from '../helpers/source-events';

const dataDir = mkdtempSync(join(tmpdir(), 'pdm-opcua-options-'));

function source(endpoint: string, nodes: unknown[], extra: Record<string, unknown> = {}): OpcuaSource {
  const cfg = opcuaSourceConfig.parse({ id: 'p', type: 'opcua', endpoint, publishingIntervalMs: 100, samplingIntervalMs: 250, pollIntervalMs: 100, reconnect: { initialMs: 200, maxMs: 1000 }, nodes, ...extra });
  return new OpcuaSource(cfg, { logger: silentLogger(), dataDir });
}

interface ServerItem {
  samplingInterval: number;
  queueSize: number;
  discardOldest: boolean;
  filter: { trigger?: number } | null;
  itemToMonitor: { nodeId: { toString(): string } };
}

/** The monitored items as the server holds them (revised parameters), by NodeId. */
function serverItems(server: TestOpcuaServer): Map<string, ServerItem> {
  const engine = server.server!.engine as unknown as { getSessions(): { publishEngine: { subscriptions: { monitoredItems: Map<number, ServerItem> }[] } }[] };
  const out = new Map<string, ServerItem>();
  for (const s of engine.getSessions()) for (const sub of s.publishEngine.subscriptions) for (const item of sub.monitoredItems.values()) out.set(item.itemToMonitor.nodeId.toString(), item);
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('OPC-UA subscription options and timestamps against an in-process server', () => {
  let server: TestOpcuaServer;
  let src: OpcuaSource | undefined;
  beforeEach(async () => {
    server = new TestOpcuaServer({ port: await freePort(), extraVariables: 8 });
    await server.start();
  });
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    await server.stop();
  });

  it('per-node samplingIntervalMs, queueSize, discardOldest and trigger reach the server (revised values as it holds them)', async () => {
    src = source(server.endpoint, [
      { name: 'a', nodeId: 'ns=1;s=Pump.V0', samplingIntervalMs: 200, queueSize: 5, discardOldest: false },
      { name: 'b', nodeId: 'ns=1;s=Pump.V1', samplingIntervalMs: 1000, queueSize: 10000 },
      { name: 'c', nodeId: 'ns=1;s=Pump.V2' },
      { name: 'd', nodeId: 'ns=1;s=Pump.V3', samplingIntervalMs: 10, trigger: 'status' },
      { name: 'e', nodeId: 'ns=1;s=Pump.V4', trigger: 'status-value-timestamp' },
    ]);
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('5 tags', () => ['a', 'b', 'c', 'd', 'e'].every((t) => rec.latest(`p/${t}`)?.quality === 'good'));
    const items = serverItems(server);
    expect(items.size).toBe(5);
    const params = (id: string): unknown => {
      const i = items.get(`ns=1;s=Pump.${id}`)!;
      return { samplingInterval: i.samplingInterval, queueSize: i.queueSize, discardOldest: i.discardOldest, trigger: i.filter?.trigger ?? null };
    };
    expect(params('V0')).toEqual({ samplingInterval: 200, queueSize: 5, discardOldest: false, trigger: null });
    expect(params('V1')).toEqual({ samplingInterval: 1000, queueSize: 5000, discardOldest: true, trigger: null }); // queue revised to the server's maximum
    expect(params('V2')).toEqual({ samplingInterval: 250, queueSize: 10, discardOldest: true, trigger: null }); // the source defaults
    expect(params('V3')).toEqual({ samplingInterval: 50, queueSize: 10, discardOldest: true, trigger: DataChangeTrigger.Status }); // 10 ms revised to the server's floor
    expect(params('V4')).toMatchObject({ trigger: DataChangeTrigger.StatusValueTimestamp });
  });

  it("trigger 'status' drops pure value changes and reports a status change; 'status-value' on the same node reports both", async () => {
    src = source(server.endpoint, [
      { name: 'st', nodeId: 'ns=1;s=Pump.V5', trigger: 'status', samplingIntervalMs: 50 },
      { name: 'sv', nodeId: 'ns=1;s=Pump.V5', trigger: 'status-value', samplingIntervalMs: 50 },
    ]);
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('initial values', () => rec.latest('p/st')?.value === 5 && rec.latest('p/sv')?.value === 5);
    for (const v of [6, 7, 8, 9]) {
      server.set('V5', DataType.Double, v);
      await sleep(250);
    }
    await rec.until('sv at 9', () => rec.latest('p/sv')?.value === 9);
    const of = (tag: string): unknown[] => rec.samples.filter((s) => s.tag === tag).map((s) => s.value);
    expect(of('p/sv')).toEqual([5, 6, 7, 8, 9]);
    expect(of('p/st')).toEqual([5]);
    server.vars.get('V5')!.setValueFromSource(new Variant({ dataType: DataType.Double, value: 9 }), StatusCodes.UncertainSensorNotAccurate);
    await rec.until('status change on st', () => rec.latest('p/st')?.quality === 'uncertain');
    expect(rec.latest('p/st')).toMatchObject({ value: 9, quality: 'uncertain', status: { text: 'UncertainSensorNotAccurate' } });
    expect(of('p/st')).toEqual([5, 9]);
  });

  for (const mode of ['subscribe', 'poll'] as const) {
    it(`${mode}: source and server timestamps both kept and distinct; a Good sub-code (GoodClamped) keeps its code`, async () => {
      // the PLC stamped it a minute ago (setValueFromSource would copy the source time into the server time)
      const sourceTime = new Date(Date.now() - 60_000);
      const written = await server.vars.get('V6')!.writeValue(SessionContext.defaultContext, new DataValue({ value: new Variant({ dataType: DataType.Double, value: 66 }), sourceTimestamp: sourceTime, serverTimestamp: new Date() }));
      expect(written.name).toBe('Good');
      server.vars.get('V7')!.setValueFromSource(new Variant({ dataType: DataType.Double, value: 100 }), StatusCodes.GoodClamped);
      src = source(server.endpoint, [
        { name: 'stamped', nodeId: 'ns=1;s=Pump.V6' },
        { name: 'clamped', nodeId: 'ns=1;s=Pump.V7' },
      ], { mode });
      const rec = new SourceRecorder(src);
      const t0 = Date.now();
      await src.start();
      await rec.until('both', () => rec.latest('p/stamped') !== undefined && rec.latest('p/clamped') !== undefined);
      const s = rec.latest('p/stamped')!;
      expect(s).toMatchObject({ value: 66, quality: 'good', sourceTs: sourceTime.getTime() });
      expect(s.serverTs).toBeGreaterThan(sourceTime.getTime() + 50_000);
      expect(s.serverTs).toBeLessThanOrEqual(s.receivedTs);
      expect(s.receivedTs).toBeGreaterThanOrEqual(t0);
      expect(s.status).toBeUndefined();
      expect(rec.latest('p/clamped')).toMatchObject({ value: 100, quality: 'good', status: { code: StatusCodes.GoodClamped.value, text: 'GoodClamped' } });
      expect(typeof rec.latest('p/clamped')!.serverTs).toBe('number');
    });
  }

  it('maxNotificationsPerPublish: 2000 is asked for by default; a lower cap splits a burst over several publish responses and loses no value', async () => {
    const asked: number[] = [];
    const sizes: { n: number; more: boolean }[] = [];
    server.server!.on('request', (req) => {
      const r = req as unknown as { schema: { name: string }; maxNotificationsPerPublish?: number };
      if (r.schema.name === 'CreateSubscriptionRequest') asked.push(r.maxNotificationsPerPublish ?? -1);
    });
    server.server!.on('response', (res) => {
      const r = res as unknown as { schema: { name: string }; moreNotifications?: boolean; notificationMessage?: { notificationData?: ({ monitoredItems?: unknown[] } | null)[] } };
      if (r.schema.name !== 'PublishResponse') return;
      const n = (r.notificationMessage?.notificationData ?? []).reduce((a, d) => a + (d?.monitoredItems?.length ?? 0), 0);
      if (n > 0) sizes.push({ n, more: r.moreNotifications === true });
    });
    const nodes = Array.from({ length: 8 }, (_, i) => ({ name: `v${i}`, nodeId: `ns=1;s=Pump.V${i}`, samplingIntervalMs: 50 }));
    src = source(server.endpoint, nodes);
    let rec = new SourceRecorder(src);
    await src.start();
    await rec.until('8 tags', () => nodes.every((n) => rec.latest(`p/${n.name}`)?.quality === 'good'));
    expect(asked).toEqual([2000]);
    await src.stop();

    src = source(server.endpoint, nodes, { maxNotificationsPerPublish: 3 });
    rec = new SourceRecorder(src);
    await src.start();
    await rec.until('8 tags', () => nodes.every((n) => rec.latest(`p/${n.name}`)?.quality === 'good'));
    sizes.length = 0;
    // a burst: every node changes at once, 8 notifications for a cap of 3 per response
    nodes.forEach((_, i) => server.set(`V${i}`, DataType.Double, 1000 + i));
    await rec.until('the burst', () => nodes.every((n, i) => rec.latest(`p/${n.name}`)?.value === 1000 + i));
    expect(asked).toEqual([2000, 3]);
    expect(Math.max(...sizes.map((x) => x.n))).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, x) => a + x.n, 0)).toBeGreaterThanOrEqual(8);
    expect(sizes.some((x) => x.more)).toBe(true);
  });
});
