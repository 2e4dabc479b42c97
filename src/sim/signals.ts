import { PUMP_CALIBRATION, PUMP_CHANNELS, type PumpChannel } from './pump-calibration';
import { FAN_CALIBRATION, FAN_SENSORS, type FanSensor } from './turbofan-calibration';

/** The two demo assets and their signals, named as the OPC-UA node ids (`ns=1;s=<name>`). */
export const PUMP_ASSET = 'Pump1' as const;
export const FAN_ASSET = 'Fan1' as const;

export type PumpSignal = `Pump1.${PumpChannel}`;
export type FanSignal = `Fan1.${FanSensor}` | 'Fan1.Cycle' | 'Fan1.TrueRUL';
export type SignalName = PumpSignal | FanSignal;

export interface SignalInfo {
  readonly name: SignalName;
  readonly asset: typeof PUMP_ASSET | typeof FAN_ASSET;
  /** Browse name inside the asset folder. */
  readonly browseName: string;
  readonly units: string;
}

export const SIGNALS: readonly SignalInfo[] = [
  ...PUMP_CHANNELS.map((c): SignalInfo => ({ name: `Pump1.${c}`, asset: PUMP_ASSET, browseName: c, units: PUMP_CALIBRATION[c].units })),
  ...FAN_SENSORS.map((s): SignalInfo => ({ name: `Fan1.${s}`, asset: FAN_ASSET, browseName: s, units: FAN_CALIBRATION[s].units })),
  { name: 'Fan1.Cycle', asset: FAN_ASSET, browseName: 'Cycle', units: 'cycle' },
  { name: 'Fan1.TrueRUL', asset: FAN_ASSET, browseName: 'TrueRUL', units: 'cycle' },
];

export const SIGNAL_NAMES: readonly SignalName[] = SIGNALS.map((s) => s.name);

export type SignalQuality = 'good' | 'bad';

export interface SignalPoint {
  readonly value: number;
  readonly quality: SignalQuality;
  /** Epoch ms when the simulator produced (or last updated) this value. */
  readonly sourceTs: number;
}

/**
 * Resolves a user's channel name to a signal: the full name (`Pump1.Current`, `Fan1.s2`) or a
 * bare one (`Current`, `s2`, and SKAB's spelling with spaces `Volume Flow RateRMS`).
 */
export function resolveSignal(name: string): SignalName | undefined {
  const compact = name.replace(/\s+/g, '');
  const full = SIGNAL_NAMES.find((s) => s === compact);
  if (full) return full;
  const bare = SIGNALS.filter((s) => s.browseName === compact);
  return bare.length === 1 ? bare[0]!.name : undefined;
}
