import { rmSync } from 'node:fs';
import {
  AttributeIds,
  BrowseDirection,
  DataType,
  MessageSecurityMode,
  SecurityPolicy,
  StatusCodes,
  Subscription,
  TimestampsToReturn,
  makeBrowsePath,
  ClientSubscription,
  ClientMonitoredItemGroup,
  type NotificationMessage,
  DataChangeNotification,
} from 'node-opcua';
import { startSimulator, type Simulator } from '../../src/sim/simulator';
import { simulatorConfig } from '../../src/sim/config';
import { SIGNALS, SIGNAL_NAMES } from '../../src/sim/signals';
import { silentLogger } from '../../src/observability/logger';
import { connect, tempPki, type Connected } from './opcua-client';

const pki = tempPki('opcua');
afterAll(() => rmSync(pki, { recursive: true, force: true }));

describe('simulator OPC-UA server (frozen values: one tick a minute)', () => {
  let sim: Simulator;
  let c: Connected;
  beforeAll(async () => {
    sim = await startSimulator(simulatorConfig.parse({ opcuaPort: 0, modbusPort: 0, updateIntervalMs: 60_000, pkiDir: `${pki}/server` }), silentLogger());
    c = await connect(sim.opcuaEndpoint, `${pki}/client`);
  });
  afterAll(async () => {
    await c?.close();
    await sim?.stop();
  });

  it('reports the actual port it picked', () => {
    expect(sim.opcuaPort).toBeGreaterThan(0);
    expect(sim.opcuaEndpoint).toBe(`opc.tcp://127.0.0.1:${sim.opcuaPort}`);
  });

  it('organises the nodes in Pump1, Fan1 and Sim folders under Objects', async () => {
    const objects = await c.session.browse({ nodeId: 'ns=0;i=85', browseDirection: BrowseDirection.Forward, resultMask: 63 });
    const names = objects.references!.map((r) => r.browseName.toString());
    expect(names).toEqual(expect.arrayContaining(['1:Pump1', '1:Fan1', '1:Sim']));
    const pump = await c.session.browse('ns=1;s=Pump1');
    expect(pump.references!.map((r) => r.nodeId.toString()).sort()).toEqual(SIGNALS.filter((s) => s.asset === 'Pump1').map((s) => `ns=1;s=${s.name}`).sort());
  });

  it('resolves browse paths to the documented node ids', async () => {
    const paths = ['/1:Pump1/1:VolumeFlowRateRMS', '/1:Fan1/1:s21', '/1:Fan1/1:TrueRUL', '/1:Sim/1:Fault'].map((p) => makeBrowsePath('ObjectsFolder', p));
    const results = await c.session.translateBrowsePath(paths);
    expect(results.map((r) => r.targets![0]!.targetId.toString())).toEqual(['ns=1;s=Pump1.VolumeFlowRateRMS', 'ns=1;s=Fan1.s21', 'ns=1;s=Fan1.TrueRUL', 'ns=1;s=Sim.Fault']);
  });

  it('serves every Pump1 and Fan1 node as a Double equal to snapshot(), with its source timestamp', async () => {
    const snap = sim.snapshot();
    const dvs = await c.session.read(SIGNAL_NAMES.map((n) => ({ nodeId: `ns=1;s=${n}`, attributeId: AttributeIds.Value })), TimestampsToReturn.Both);
    expect(dvs).toHaveLength(24);
    dvs.forEach((dv, i) => {
      const name = SIGNAL_NAMES[i]!;
      expect(dv.statusCode).toBe(StatusCodes.Good);
      expect(dv.value.dataType).toBe(DataType.Double);
      expect(dv.value.value).toBe(snap.values[name].value);
      expect(dv.sourceTimestamp!.getTime()).toBe(snap.values[name].sourceTs);
    });
    expect(dvs[SIGNAL_NAMES.indexOf('Fan1.Cycle')]!.value.value).toBe(snap.cycle);
    expect(dvs[SIGNAL_NAMES.indexOf('Fan1.TrueRUL')]!.value.value).toBe(snap.trueRul);
    expect(snap.cycle + snap.trueRul).toBe(250);
  });

  it('offers None, Sign and SignAndEncrypt endpoints, and a SignAndEncrypt session reads values', async () => {
    const eps = await c.client.getEndpoints();
    const modes = new Set(eps.map((e) => e.securityMode));
    expect([...modes].sort()).toEqual([MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt].sort());
    expect(eps.map((e) => e.securityPolicyUri)).toContain(SecurityPolicy.Basic256Sha256);
    const secure = await connect(sim.opcuaEndpoint, `${pki}/client`, { mode: MessageSecurityMode.SignAndEncrypt, policy: SecurityPolicy.Basic256Sha256 });
    try {
      const dv = await secure.session.read({ nodeId: 'ns=1;s=Fan1.s4', attributeId: AttributeIds.Value });
      expect(dv.value.value).toBe(sim.snapshot().values['Fan1.s4'].value);
    } finally {
      await secure.close();
    }
  });

  it('raises the notifications-per-publish cap above node-opcua default of 1000', () => {
    expect(Subscription.maxNotificationPerPublishHighLimit).toBeGreaterThanOrEqual(100_000);
  });
});

describe('simulator OPC-UA server (live: 50 ms ticks)', () => {
  let sim: Simulator;
  let c: Connected;
  beforeAll(async () => {
    sim = await startSimulator(simulatorConfig.parse({ opcuaPort: 0, modbusPort: 0, updateIntervalMs: 50, pkiDir: `${pki}/server` }), silentLogger());
    c = await connect(sim.opcuaEndpoint, `${pki}/client`);
  });
  afterAll(async () => {
    await c?.close();
    await sim?.stop();
  });
  const read = (n: string) => c.session.read({ nodeId: `ns=1;s=${n}`, attributeId: AttributeIds.Value });
  const write = (text: string) =>
    c.session.write({ nodeId: 'ns=1;s=Sim.Fault', attributeId: AttributeIds.Value, value: { value: { dataType: DataType.String, value: text } } });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('injects and clears faults written to Sim.Fault; a dropped-out node reports BadCommunicationError', async () => {
    expect((await read('Sim.Fault')).value.value).toBe('none');
    expect(await write('dropout:1:Current')).toBe(StatusCodes.Good);
    expect(await write('cavitation:0.7')).toBe(StatusCodes.Good);
    await sleep(200);
    expect((await read('Sim.Fault')).value.value).toBe('dropout:1:Pump1.Current,cavitation:0.7');
    expect(sim.snapshot().faults.map((f) => [f.fault, f.severity])).toEqual([
      ['dropout', 1],
      ['cavitation', 0.7],
    ]);
    const bad = await read('Pump1.Current');
    expect(bad.statusCode).toBe(StatusCodes.BadCommunicationError);
    expect((await read('Pump1.Voltage')).statusCode).toBe(StatusCodes.Good);

    expect(await write('none')).toBe(StatusCodes.Good);
    await sleep(200);
    expect((await read('Sim.Fault')).value.value).toBe('none');
    expect((await read('Pump1.Current')).statusCode).toBe(StatusCodes.Good);
    expect(sim.snapshot().faults).toEqual([]);
  });

  it('refuses a malformed fault with BadInvalidArgument and counts it', async () => {
    const before = sim.stats();
    expect(await write('cavitation:7')).toBe(StatusCodes.BadInvalidArgument);
    expect(sim.stats().faultsRejected).toBe(before.faultsRejected! + 1);
    expect(sim.stats().opcuaFaultWritesRejected).toBe(before.opcuaFaultWritesRejected! + 1);
    expect(sim.snapshot().faults).toEqual([]);
  });

  it('delivers more than 1000 notifications in one publish (the simulator is not the bottleneck)', async () => {
    const sub = ClientSubscription.create(c.session, { requestedPublishingInterval: 1000, requestedMaxKeepAliveCount: 10, maxNotificationsPerPublish: 0, publishingEnabled: true });
    const biggest = { n: 0 };
    sub.on('raw_notification', (m: NotificationMessage) => {
      for (const d of m.notificationData ?? []) if (d instanceof DataChangeNotification) biggest.n = Math.max(biggest.n, d.monitoredItems?.length ?? 0);
    });
    // 1,500 monitored items (the 22 changing signals, repeated), queue size 1: each publish carries one notification per item.
    const changing = SIGNAL_NAMES.filter((n) => n.startsWith('Pump1.'));
    const items = Array.from({ length: 1500 }, (_, i) => ({ nodeId: `ns=1;s=${changing[i % changing.length]}`, attributeId: AttributeIds.Value }));
    const group = ClientMonitoredItemGroup.create(sub, items, { samplingInterval: 50, queueSize: 1, discardOldest: true }, TimestampsToReturn.Both);
    await new Promise<void>((r) => group.on('initialized', () => r()));
    await sleep(2500);
    await sub.terminate();
    expect(biggest.n).toBeGreaterThan(1000);
  });

  it('values move between ticks', async () => {
    const a = (await read('Pump1.Voltage')).value.value as number;
    await sleep(150);
    expect((await read('Pump1.Voltage')).value.value).not.toBe(a);
  });
});
