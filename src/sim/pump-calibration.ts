/**
 * Constants of the pump model, measured on the SKAB test bench (Katser & Kozitsin, "Skoltech
 * Anomaly Benchmark", 2020, GPL-3.0): `skab/anomaly-free/anomaly-free.csv`, 9,405 rows at 1 Hz.
 * `src/sim/calibrate.ts` recomputes them from that file and test/sim/calibration.test.ts checks
 * that the numbers below still match (the data itself is never committed).
 *
 * Each channel = mean + slow part + fast part:
 * - fast: residual after a 120 s moving average; `fastStd` and its lag-1 autocorrelation `fastAr1`
 *   at 1 s (an AR(1) process).
 * - slow: std of the 120 s moving average (`slowStd`). In SKAB the slow parts of the two
 *   accelerometers, both temperatures and the flow move together (first principal component:
 *   86 % of their slow variance, |r| 0.7..0.9); `slowSign` is each channel's sign on it.
 * Current and Voltage fast noises correlate (r = 0.47, shared supply); Pressure is quantized by
 * its transducer in steps of 0.327927 bar (9 distinct values in the file).
 */
export const PUMP_CHANNELS = [
  'Accelerometer1RMS',
  'Accelerometer2RMS',
  'Current',
  'Pressure',
  'Temperature',
  'Thermocouple',
  'Voltage',
  'VolumeFlowRateRMS',
] as const;
export type PumpChannel = (typeof PUMP_CHANNELS)[number];

export interface PumpChannelCalibration {
  readonly mean: number;
  readonly fastStd: number;
  readonly fastAr1: number;
  readonly slowStd: number;
  /** Sign on the shared slow factor; 0 = the channel's slow part is its own. */
  readonly slowSign: -1 | 0 | 1;
  /**
   * Time constant of the channel's slow drift, seconds: read off the decay of the 120 s moving
   * average's autocorrelation (0.69 at 600 s for the accelerometers and flow, above 0.95 at
   * 1200 s for the temperatures), rounded; the file spans only 2.8 h, so these are rough.
   */
  readonly slowTauS: number;
  readonly units: string;
}

export const PUMP_CALIBRATION: Readonly<Record<PumpChannel, PumpChannelCalibration>> = {
  Accelerometer1RMS: { mean: 0.2126, fastStd: 0.00176, fastAr1: 0.485, slowStd: 0.00427, slowSign: 1, slowTauS: 1500, units: 'g' },
  Accelerometer2RMS: { mean: 0.26841, fastStd: 0.00147, fastAr1: 0.172, slowStd: 0.00365, slowSign: -1, slowTauS: 1500, units: 'g' },
  Current: { mean: 2.40301, fastStd: 0.48234, fastAr1: 0.057, slowStd: 0.05945, slowSign: 0, slowTauS: 600, units: 'A' },
  Pressure: { mean: 0.11127, fastStd: 0.25223, fastAr1: 0.098, slowStd: 0.02588, slowSign: 0, slowTauS: 600, units: 'bar' },
  Temperature: { mean: 89.47231, fastStd: 0.30787, fastAr1: 0.707, slowStd: 0.59624, slowSign: -1, slowTauS: 3600, units: 'degC' },
  Thermocouple: { mean: 28.47431, fastStd: 0.01334, fastAr1: 0.879, slowStd: 0.72041, slowSign: 1, slowTauS: 7200, units: 'degC' },
  Voltage: { mean: 228.64717, fastStd: 10.93385, fastAr1: -0.001, slowStd: 1.0565, slowSign: 0, slowTauS: 600, units: 'V' },
  VolumeFlowRateRMS: { mean: 125.23747, fastStd: 0.48656, fastAr1: 0.45, slowStd: 1.4908, slowSign: 1, slowTauS: 1500, units: 'l/min' },
};

/** Correlation of the Current and Voltage fast noises. */
export const CURRENT_VOLTAGE_CORRELATION = 0.47;
/** How strongly the co-moving channels follow the shared slow factor (observed |r| 0.7..0.9). */
export const SHARED_SLOW_LOADING = 0.9;
/** Time constant of the shared slow factor, seconds. */
export const SHARED_SLOW_TAU_S = 1800;
/** The SKAB pressure transducer's resolution and one of its levels. */
export const PRESSURE_STEP_BAR = 0.327927;
export const PRESSURE_LEVEL_BAR = 0.054711;

/**
 * Partly closed valve, measured on SKAB valve1 (16 files) and valve2 (4 files), anomalous rows
 * against the same file's normal rows: flow -6 % median (-2 % .. -23 %), flow noise x2.2,
 * current -0.8 % median (-5 % .. +6 %); pressure has no consistent direction there (too coarse a
 * transducer). At severity 1 the model throttles to the worst SKAB case (flow -22 %); pressure
 * rises and current falls as a centrifugal pump's curves say.
 */
export const VALVE_FULL_SEVERITY = { flowDrop: 0.22, flowNoiseGain: 1.2 } as const;
