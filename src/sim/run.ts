import type { Logger } from '../observability/logger';
import { describeFaults } from './faults';
import type { PlantSnapshot } from './plant';
import type { SimulatorConfig } from './config';
import { startSimulator } from './simulator';

/** One line for the periodic status: a few pump values, the turbofan's life, the faults. */
export function statusLine(s: PlantSnapshot): string {
  const v = (name: keyof PlantSnapshot['values'], digits: number) => {
    const p = s.values[name];
    return p ? `${p.value.toFixed(digits)}${p.quality === 'bad' ? '(bad)' : ''}` : '-';
  };
  return (
    `t=${s.simSeconds.toFixed(0)}s pump: flow=${v('Pump1.VolumeFlowRateRMS', 1)} current=${v('Pump1.Current', 2)} ` +
    `pressure=${v('Pump1.Pressure', 2)} accel1=${v('Pump1.Accelerometer1RMS', 3)} temp=${v('Pump1.Temperature', 1)} | ` +
    `fan: engine ${s.engine} cycle ${s.cycle} RUL ${s.trueRul} s4=${v('Fan1.s4', 1)} | faults: ${describeFaults(s.faults)}`
  );
}

/**
 * Runs the simulator until `until` settles, printing the endpoints and a status line every
 * `statusEveryMs`; resolves once every socket is closed.
 */
export async function runSimulate(cfg: SimulatorConfig, opts: { logger: Logger; out: (line: string) => void; statusEveryMs: number; until: Promise<string> }): Promise<void> {
  const sim = await startSimulator(cfg, opts.logger);
  opts.out(`opcua ${sim.opcuaEndpoint}`);
  opts.out(`modbus tcp://${cfg.host}:${sim.modbusPort} unit 1`);
  const status = opts.statusEveryMs > 0 ? setInterval(() => opts.out(statusLine(sim.snapshot())), opts.statusEveryMs) : undefined;
  try {
    const why = await opts.until;
    opts.logger.info({ reason: why }, 'simulator stopping');
  } finally {
    if (status) clearInterval(status);
    await sim.stop();
  }
}

