import { Ar1, Rng, SmoothDrift } from './rng';
import {
  CURRENT_VOLTAGE_CORRELATION,
  PRESSURE_LEVEL_BAR,
  PRESSURE_STEP_BAR,
  PUMP_CALIBRATION,
  PUMP_CHANNELS,
  SHARED_SLOW_LOADING,
  SHARED_SLOW_TAU_S,
  VALVE_FULL_SEVERITY,
  type PumpChannel,
} from './pump-calibration';

export type PumpReading = Record<PumpChannel, number>;

/** Target severities (0..1) of the process faults the pump model itself reacts to. */
export interface PumpFaultLevels {
  cavitation: number;
  'bearing-wear': number;
  'valve-closed': number;
}
export const NO_PUMP_FAULTS: Readonly<PumpFaultLevels> = { cavitation: 0, 'bearing-wear': 0, 'valve-closed': 0 };

/**
 * How fast each fault's effect follows its severity (first-order lag, seconds): cavitation sets
 * in within seconds, a valve moves in a few seconds, bearing wear builds up over minutes.
 */
const FAULT_TAU_S: Readonly<PumpFaultLevels> = { cavitation: 3, 'bearing-wear': 300, 'valve-closed': 5 };

/**
 * Modelling assumptions not measurable on SKAB (its faults are only valve closures):
 * - pump head at the nominal point = 3 bar on the pressure gauge; pump curve H = 1.25 - 0.25 q^2
 *   (shut-off head 125 % of nominal, typical of a radial pump), system curve H = R q^2;
 * - 45 % of the nominal motor current carries the hydraulic load (the rest: magnetising current
 *   and losses), so current ~ 0.55 + 0.45 q H;
 * - cavitation collapses the pump head by up to 30 %, raises vibration RMS by up to 80 % with
 *   impulsive bursts and makes the current and flow noisy;
 * - bearing wear raises vibration RMS by up to 150 % and the motor temperature by up to 6 degC.
 */
const HEAD_BAR = 3;
/** SKAB's pressure std includes the transducer's quantization (step^2 / 12): take it out before quantizing again. */
const PRESSURE_UNDERLYING_NOISE =
  Math.sqrt(PUMP_CALIBRATION.Pressure.fastStd ** 2 - PRESSURE_STEP_BAR ** 2 / 12) / PUMP_CALIBRATION.Pressure.fastStd;
const CURRENT_LOAD_SHARE = 0.45;
const CAVITATION = { headLoss: 0.3, vibrationGain: 0.8, burstRatePerS: 0.3, burstGain: 0.6, currentNoiseGain: 1.5, flowNoiseGain: 1 };
const BEARING = { vibrationGain: 1.5, temperatureRiseC: 6 };

/** The hydraulic operating point for the given fault levels: flow ratio q and head ratio h. */
export function operatingPoint(cavitation: number, valveClosed: number): { q: number; h: number } {
  const qValve = 1 - VALVE_FULL_SEVERITY.flowDrop * valveClosed;
  const r = 1.25 / (qValve * qValve) - 0.25; // system resistance giving qValve with a healthy pump
  const c = 1 - CAVITATION.headLoss * cavitation;
  const q = Math.sqrt((1.25 * c) / (r + 0.25 * c));
  return { q, h: r * q * q };
}

/** Centrifugal pump shaped like the SKAB bench: correlated AR(1) noise, slow drift, coupled hydraulics. */
export class PumpModel {
  private readonly fast: Record<PumpChannel, Ar1>;
  private readonly slow: Record<PumpChannel, SmoothDrift>;
  private readonly shared: SmoothDrift;
  private readonly rng: Rng;
  private readonly level: PumpFaultLevels = { ...NO_PUMP_FAULTS };
  private burst = 0;

  constructor(seed: number) {
    this.rng = Rng.stream(seed, 'pump');
    const own = Math.sqrt(1 - SHARED_SLOW_LOADING * SHARED_SLOW_LOADING);
    this.shared = new SmoothDrift(Rng.stream(seed, 'pump.shared'), 1, SHARED_SLOW_TAU_S);
    const fast = {} as Record<PumpChannel, Ar1>;
    const slow = {} as Record<PumpChannel, SmoothDrift>;
    for (const ch of PUMP_CHANNELS) {
      const c = PUMP_CALIBRATION[ch];
      fast[ch] = new Ar1(Rng.stream(seed, `pump.fast.${ch}`), 1, c.fastAr1);
      slow[ch] = new SmoothDrift(Rng.stream(seed, `pump.slow.${ch}`), c.slowSign === 0 ? 1 : own, c.slowTauS);
    }
    this.fast = fast;
    this.slow = slow;
  }

  /** Current effective fault levels (after their lags), for tests and the status line. */
  get effectiveFaults(): Readonly<PumpFaultLevels> {
    return this.level;
  }

  /** Advances the model by dt simulated seconds towards the given fault severities. */
  step(dtS: number, target: Readonly<PumpFaultLevels>): PumpReading {
    for (const k of Object.keys(FAULT_TAU_S) as (keyof PumpFaultLevels)[]) {
      const a = 1 - Math.exp(-dtS / FAULT_TAU_S[k]);
      this.level[k] += (target[k] - this.level[k]) * a;
    }
    const cav = this.level.cavitation;
    const bear = this.level['bearing-wear'];
    const valve = this.level['valve-closed'];
    const { q, h } = operatingPoint(cav, valve);

    const z = this.shared.step(dtS);
    const noise = (ch: PumpChannel) => {
      const c = PUMP_CALIBRATION[ch];
      const slow = this.slow[ch].step(dtS) + (c.slowSign === 0 ? 0 : c.slowSign * SHARED_SLOW_LOADING * z);
      return { slow: c.slowStd * slow, fast: c.fastStd * this.fast[ch].step(dtS), mean: c.mean };
    };

    // Cavitation bursts: Poisson arrivals of short vibration impulses decaying in ~1 s.
    this.burst *= Math.exp(-dtS);
    if (cav > 0.01 && this.rng.uniform() < CAVITATION.burstRatePerS * cav * dtS) this.burst += CAVITATION.burstGain * cav * this.rng.between(0.5, 1.5);
    const vib = 1 + CAVITATION.vibrationGain * cav + BEARING.vibrationGain * bear + this.burst;
    const vibNoise = 1 + 2 * cav + bear;
    const accel = (ch: PumpChannel) => {
      const n = noise(ch);
      return n.mean * vib + n.slow + n.fast * vibNoise;
    };

    const v = noise('Voltage');
    const i = noise('Current');
    const vNorm = v.fast / PUMP_CALIBRATION.Voltage.fastStd;
    const iFast = i.fast * Math.sqrt(1 - CURRENT_VOLTAGE_CORRELATION ** 2) + CURRENT_VOLTAGE_CORRELATION * vNorm * PUMP_CALIBRATION.Current.fastStd;
    const load = 1 - CURRENT_LOAD_SHARE + CURRENT_LOAD_SHARE * q * h;

    const p = noise('Pressure');
    const pressure = p.mean + HEAD_BAR * (h - 1) + p.slow + p.fast * PRESSURE_UNDERLYING_NOISE;
    const f = noise('VolumeFlowRateRMS');
    const t = noise('Temperature');
    const tc = noise('Thermocouple');

    return {
      Accelerometer1RMS: accel('Accelerometer1RMS'),
      Accelerometer2RMS: accel('Accelerometer2RMS'),
      Current: i.mean * load + i.slow + iFast * (1 + CAVITATION.currentNoiseGain * cav),
      Pressure: quantizePressure(pressure),
      Temperature: t.mean + BEARING.temperatureRiseC * bear + t.slow + t.fast,
      Thermocouple: tc.mean + tc.slow + tc.fast,
      Voltage: v.mean + v.slow + v.fast,
      VolumeFlowRateRMS: f.mean * q + f.slow + f.fast * (1 + VALVE_FULL_SEVERITY.flowNoiseGain * valve + CAVITATION.flowNoiseGain * cav),
    };
  }
}

/** The SKAB pressure transducer reports discrete levels; so does the simulated one. */
export function quantizePressure(bar: number): number {
  return PRESSURE_LEVEL_BAR + Math.round((bar - PRESSURE_LEVEL_BAR) / PRESSURE_STEP_BAR) * PRESSURE_STEP_BAR;
}
