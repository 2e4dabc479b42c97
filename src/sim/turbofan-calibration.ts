/**
 * Constants of the turbofan model, measured on NASA C-MAPSS FD001 (`cmapss/train_FD001.txt`,
 * 100 engines run to failure, 128..362 cycles, mean 206; Saxena et al., PHM 2008).
 * `src/sim/calibrate.ts` recomputes them and test/sim/calibration.test.ts checks they still match.
 *
 * Per sensor, over the 100 engines:
 * - `healthy`: mean of each engine's first 20 cycles;
 * - `shift`: mean of the last 5 cycles minus `healthy` (the end-of-life level is healthy + shift);
 * - `noise`: std of the residual around a cubic trend in life fraction (per engine, averaged);
 * - `unitStd`: spread between engines of the healthy level once the noise is taken out
 *   (manufacturing variation, which C-MAPSS models as random initial wear);
 * - `k`: shape of the degradation, least squares of healthy + shift * (e^{k f} - 1) / (e^k - 1)
 *   against life fraction f over all engines (C-MAPSS wear is exponential in time);
 * - `decimals`: the resolution the data set reports.
 */
export const FAN_SENSORS = ['s2', 's3', 's4', 's7', 's8', 's9', 's11', 's12', 's13', 's14', 's15', 's17', 's20', 's21'] as const;
export type FanSensor = (typeof FAN_SENSORS)[number];

export interface FanSensorCalibration {
  readonly healthy: number;
  readonly shift: number;
  readonly noise: number;
  readonly unitStd: number;
  readonly k: number;
  readonly decimals: number;
  readonly units: string;
}

export const FAN_CALIBRATION: Readonly<Record<FanSensor, FanSensorCalibration>> = {
  s2: { healthy: 642.3808, shift: 1.2892, noise: 0.2982, unitStd: 0.2331, k: 4, decimals: 2, units: 'degR' },
  s3: { healthy: 1586.8398, shift: 15.4492, noise: 3.9551, unitStd: 2.2911, k: 3.75, decimals: 2, units: 'degR' },
  s4: { healthy: 1402.7583, shift: 26.1684, noise: 3.9835, unitStd: 4.3885, k: 4, decimals: 2, units: 'degR' },
  s7: { healthy: 553.9506, shift: -2.4558, noise: 0.4034, unitStd: 0.4729, k: 3.75, decimals: 2, units: 'psia' },
  s8: { healthy: 2388.0584, shift: 0.1738, noise: 0.0303, unitStd: 0.0457, k: 4.25, decimals: 2, units: 'rpm' },
  s9: { healthy: 9056.0069, shift: 41.9851, noise: 4.291, unitStd: 7.2274, k: 4.25, decimals: 2, units: 'rpm' },
  s11: { healthy: 47.3525, shift: 0.7897, noise: 0.1008, unitStd: 0.1471, k: 3.75, decimals: 2, units: 'psia' },
  s12: { healthy: 521.9099, shift: -2.1007, noise: 0.2991, unitStd: 0.4069, k: 3.75, decimals: 2, units: 'pps/psi' },
  s13: { healthy: 2388.0557, shift: 0.1778, noise: 0.0307, unitStd: 0.0462, k: 4, decimals: 2, units: 'rpm' },
  s14: { healthy: 8137.3729, shift: 29.4936, noise: 3.2827, unitStd: 7.2302, k: 4.5, decimals: 2, units: 'rpm' },
  s15: { healthy: 8.4183, shift: 0.1021, noise: 0.0198, unitStd: 0.0171, k: 4, decimals: 4, units: '' },
  s17: { healthy: 392.2605, shift: 3.9795, noise: 0.9426, unitStd: 0.6745, k: 3.75, decimals: 0, units: '' },
  s20: { healthy: 38.9328, shift: -0.4868, noise: 0.1, unitStd: 0.0839, k: 3.75, decimals: 2, units: 'lbm/s' },
  s21: { healthy: 23.3601, shift: -0.2901, noise: 0.0594, unitStd: 0.0502, k: 3.75, decimals: 4, units: 'lbm/s' },
};

/** Initial wear of a new engine, as a fraction of its life already used (C-MAPSS draws it at random). */
export const INITIAL_WEAR_MAX = 0.1;
