import { rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ModbusRTU from 'modbus-serial';
import { startSimulator, type Simulator } from '../../src/sim/simulator';
import { simulatorConfig } from '../../src/sim/config';
import { FAN_SENSORS } from '../../src/sim/turbofan-calibration';
import { PUMP_CHANNELS } from '../../src/sim/pump-calibration';
import { silentLogger } from '../../src/observability/logger';
import { requireCommand } from '../helpers/peers';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

/** Reads the simulator's map with Debian's pymodbus (2.x or 3.x API) and decodes float32 ABCD itself. */
const PY_READER = `
import json, struct, sys
import pymodbus
major = int(pymodbus.__version__.split('.')[0])
if major >= 3:
    from pymodbus.client import ModbusTcpClient
    unit = {'slave': 1}
else:
    from pymodbus.client.sync import ModbusTcpClient
    unit = {'unit': 1}
c = ModbusTcpClient('127.0.0.1', port=int(sys.argv[1]))
assert c.connect(), 'cannot connect'
hr = c.read_holding_registers(0, 32, **unit)
ir = c.read_input_registers(0, 16, **unit)
co = c.read_coils(0, 1, **unit)
bad = c.read_holding_registers(40, 2, **unit)
c.close()
assert not hr.isError() and not ir.isError() and not co.isError(), (hr, ir, co)
f32 = lambda w, a: struct.unpack('>f', struct.pack('>HH', w[a], w[a + 1]))[0]
u32 = lambda w, a: (w[a] << 16) | w[a + 1]
print(json.dumps({
  'version': pymodbus.__version__,
  'holding': hr.registers, 'input': ir.registers,
  'fan': [f32(hr.registers, 2 * i) for i in range(14)],
  'cycle': u32(hr.registers, 28), 'rul': u32(hr.registers, 30),
  'pump': [f32(ir.registers, 2 * i) for i in range(8)],
  'coil': bool(co.bits[0]),
  'outOfRangeIsError': bad.isError(),
}))
`;

interface PyResult {
  version: string;
  holding: number[];
  input: number[];
  fan: number[];
  cycle: number;
  rul: number;
  pump: number[];
  coil: boolean;
  outOfRangeIsError: boolean;
}

describe('simulator registers read by pymodbus (Debian python3-pymodbus) match modbus-serial', () => {
  const pki = mkdtempSync(join(tmpdir(), 'sim-pymodbus-pki-'));
  let sim: Simulator;
  beforeAll(async () => {
    requireCommand(PYTHON, 'python3-pymodbus');
    await run(PYTHON, ['-c', 'import pymodbus']).catch(() => {
      throw new Error(`${PYTHON} has no pymodbus: install it with "apt-get install -y python3-pymodbus" (.ci/run does)`);
    });
    // One tick a minute: both clients see the same values.
    sim = await startSimulator(simulatorConfig.parse({ opcuaPort: 0, modbusPort: 0, updateIntervalMs: 60_000, pkiDir: pki }), silentLogger());
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  it('decodes the same float32 ABCD values, cycle and true RUL', async () => {
    sim.injectFault({ fault: 'valve-closed', severity: 0.4 });
    const m = new ModbusRTU();
    await m.connectTCP('127.0.0.1', { port: sim.modbusPort });
    m.setID(1);
    const hr = await m.readHoldingRegisters(0, 32);
    const ir = await m.readInputRegisters(0, 16);
    await new Promise<void>((r) => m.close(() => r()));

    const { stdout } = await run(PYTHON, ['-c', PY_READER, String(sim.modbusPort)], { timeout: 30_000 });
    const py = JSON.parse(stdout) as PyResult;
    process.stdout.write(`pymodbus ${py.version}\n`);

    expect(py.holding).toEqual(hr.data);
    expect(py.input).toEqual(ir.data);
    expect(py.fan).toEqual(FAN_SENSORS.map((_, i) => hr.buffer.readFloatBE(4 * i)));
    expect(py.pump).toEqual(PUMP_CHANNELS.map((_, i) => ir.buffer.readFloatBE(4 * i)));
    expect([py.cycle, py.rul]).toEqual([hr.buffer.readUInt32BE(56), hr.buffer.readUInt32BE(60)]);

    const snap = sim.snapshot();
    expect(py.fan).toEqual(FAN_SENSORS.map((s) => Math.fround(snap.values[`Fan1.${s}`].value)));
    expect(py.pump).toEqual(PUMP_CHANNELS.map((c) => Math.fround(snap.values[`Pump1.${c}`].value)));
    expect([py.cycle, py.rul]).toEqual([snap.cycle, snap.trueRul]);
    expect(py.outOfRangeIsError).toBe(true);
    expect(py.coil).toBe(true); // the valve fault injected above
  });
});
