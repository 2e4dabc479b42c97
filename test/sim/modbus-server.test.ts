import { rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type ModbusRTU from 'modbus-serial';
import { modbusClient as client, closeModbus as closeClient, closedByPeer } from './modbus-client';
import { startSimulator, type Simulator } from '../../src/sim/simulator';
import { simulatorConfig } from '../../src/sim/config';
import { FAN_SENSORS } from '../../src/sim/turbofan-calibration';
import { PUMP_CHANNELS } from '../../src/sim/pump-calibration';
import { readFloat32, readUint32 } from '../../src/sim/register-map';
import { silentLogger } from '../../src/observability/logger';
import { tempPki } from './opcua-client';

const pki = tempPki('modbus');
afterAll(() => rmSync(pki, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


describe('simulator Modbus TCP server', () => {
  let sim: Simulator;
  let m: ModbusRTU;
  beforeAll(async () => {
    sim = await startSimulator(simulatorConfig.parse({ opcuaPort: 0, modbusPort: 0, updateIntervalMs: 60_000, pkiDir: pki }), silentLogger());
    m = await client(sim.modbusPort);
  });
  afterAll(async () => {
    if (m) await closeClient(m);
    await sim?.stop();
  });

  it('serves the 14 turbofan sensors as float32 ABCD in holding 0..27, the cycle at 28..29 and true RUL at 30..31', async () => {
    const snap = sim.snapshot();
    const r = await m.readHoldingRegisters(0, 32);
    FAN_SENSORS.forEach((s, i) => {
      expect(readFloat32(r.data, 2 * i)).toBe(Math.fround(snap.values[`Fan1.${s}`].value));
      expect(r.buffer.readFloatBE(4 * i)).toBe(Math.fround(snap.values[`Fan1.${s}`].value));
    });
    expect(readUint32(r.data, 28)).toBe(snap.cycle);
    expect(r.buffer.readUInt32BE(56)).toBe(snap.cycle);
    expect(readUint32(r.data, 30)).toBe(snap.trueRul);
  });

  it('serves the 8 pump channels as float32 ABCD in input registers 0..15', async () => {
    const snap = sim.snapshot();
    const r = await m.readInputRegisters(0, 16);
    PUMP_CHANNELS.forEach((c, i) => expect(r.buffer.readFloatBE(4 * i)).toBe(Math.fround(snap.values[`Pump1.${c}`].value)));
  });

  it('reads single registers the same as blocks (demo.yaml reads s7 at holding 6)', async () => {
    const r = await m.readHoldingRegisters(6, 2);
    expect(r.buffer.readFloatBE(0)).toBe(Math.fround(sim.snapshot().values['Fan1.s7'].value));
  });

  it('answers Illegal Data Address outside the map and counts it', async () => {
    const before = sim.stats().modbusExceptions!;
    await expect(m.readHoldingRegisters(30, 4)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(m.readInputRegisters(16, 1)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(m.readCoils(1, 1)).rejects.toMatchObject({ modbusCode: 2 });
    expect(sim.stats().modbusExceptions).toBe(before + 3);
  });
});

describe('simulator Modbus TCP server (live)', () => {
  it('keeps a dropped-out channel frozen while the others update, and raises the fault coil', async () => {
    const sim = await startSimulator(simulatorConfig.parse({ opcuaPort: 0, modbusPort: 0, updateIntervalMs: 50, pkiDir: pki }), silentLogger());
    const m = await client(sim.modbusPort);
    try {
      sim.injectFault({ fault: 'dropout', severity: 1, channel: 'Current' });
      await sleep(150);
      const a = await m.readInputRegisters(0, 16);
      expect((await m.readCoils(0, 1)).data[0]).toBe(true);
      await sleep(200);
      const b = await m.readInputRegisters(0, 16);
      const current = 4 * PUMP_CHANNELS.indexOf('Current');
      const voltage = 4 * PUMP_CHANNELS.indexOf('Voltage');
      expect(b.buffer.readFloatBE(current)).toBe(a.buffer.readFloatBE(current));
      expect(b.buffer.readFloatBE(voltage)).not.toBe(a.buffer.readFloatBE(voltage));
      sim.clearFaults();
      await sleep(150);
      expect((await m.readCoils(0, 1)).data[0]).toBe(false);
    } finally {
      await closeClient(m);
      await sim.stop();
    }
  });
});

describe('simulator lifecycle', () => {
  /** Open sockets, servers and timers by kind. */
  const handles = () => {
    const out: Record<string, number> = { TCPServerWrap: 0, TCPSocketWrap: 0, Timeout: 0 };
    for (const h of process.getActiveResourcesInfo()) if (h in out) out[h]!++;
    return out;
  };
  /**
   * Handles by kind once none is above `baseline` (polled up to 3 s: under a loaded test run a
   * stopped server's last timers can take longer than a fixed pause to fire; a leak never drops).
   */
  const settled = async (baseline: Record<string, number>) => {
    const deadline = Date.now() + 3000;
    let now = handles();
    while (Object.keys(baseline).some((k) => now[k]! > baseline[k]!) && Date.now() < deadline) {
      await sleep(50);
      now = handles();
    }
    return now;
  };
  const refused = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });

  it('starts and stops twice in one process, closing client sockets and leaving no handles behind', async () => {
    await sleep(100); // let the previous tests' sockets finish closing
    const baseline = handles();
    let ports: { opcua: number; modbus: number } | undefined;
    for (let round = 0; round < 2; round++) {
      const cfg = simulatorConfig.parse({ opcuaPort: ports?.opcua ?? 0, modbusPort: ports?.modbus ?? 0, updateIntervalMs: 50, pkiDir: pki });
      const sim = await startSimulator(cfg, silentLogger());
      if (ports) expect({ opcua: sim.opcuaPort, modbus: sim.modbusPort }).toEqual(ports); // same ports again
      ports = { opcua: sim.opcuaPort, modbus: sim.modbusPort };
      const m = await client(sim.modbusPort);
      expect((await m.readHoldingRegisters(28, 2)).buffer.readUInt32BE(0)).toBe(sim.snapshot().cycle);
      const closed = closedByPeer(m);
      await sim.stop();
      await sim.stop(); // idempotent
      await closed; // the server closed the client's socket
      expect(await refused(ports.modbus)).toBe(true);
      expect(await refused(ports.opcua)).toBe(true);
    }
    const after = await settled(baseline);
    for (const kind of Object.keys(baseline)) expect(`${kind}: ${after[kind]}`).toBe(`${kind}: ${Math.min(after[kind]!, baseline[kind]!)}`);
  });

  it('fails to start on a taken port with an error naming it, leaving nothing open', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    await sleep(100);
    const baseline = handles();
    try {
      await expect(startSimulator(simulatorConfig.parse({ opcuaPort: 0, modbusPort: taken, pkiDir: pki }), silentLogger())).rejects.toThrow(
        new RegExp(`^simulator modbus 127\\.0\\.0\\.1:${taken}: cannot listen: .*EADDRINUSE`),
      );
      await expect(startSimulator(simulatorConfig.parse({ opcuaPort: taken, modbusPort: 0, pkiDir: pki }), silentLogger())).rejects.toThrow(
        new RegExp(`^simulator opcua 127\\.0\\.0\\.1:${taken}: cannot start`),
      );
      const after = await settled(baseline);
      for (const kind of Object.keys(baseline)) expect(`${kind}: ${after[kind]}`).toBe(`${kind}: ${Math.min(after[kind]!, baseline[kind]!)}`);
    } finally {
      blocker.close();
    }
  });
});
