import { Rng } from './rng';
import { FAN_CALIBRATION, FAN_SENSORS, INITIAL_WEAR_MAX, type FanSensor } from './turbofan-calibration';

export type FanReading = Record<FanSensor, number>;

export interface TurbofanState {
  /** Engine serial number, 1 for the first engine of a run. */
  readonly engine: number;
  /** Current cycle of this engine, from 1; the engine fails at cycle `lifeCycles`. */
  readonly cycle: number;
  /** Remaining useful life in cycles (0 at the failing cycle), as C-MAPSS labels it. */
  readonly trueRul: number;
  /** Life fraction used, 0..1, including the initial wear. */
  readonly wear: number;
  readonly failed: boolean;
  readonly sensors: FanReading;
}

export interface TurbofanOptions {
  lifeCycles: number;
  restartOnFailure: boolean;
}

/** C-MAPSS wear shape: 0 when new, 1 at failure, exponential in between. */
export function degradation(wear: number, k: number): number {
  return (Math.exp(k * wear) - 1) / (Math.exp(k) - 1);
}

/**
 * A turbofan that emits one snapshot of the 14 informative FD001 sensors per flight cycle. Each
 * engine gets a random initial wear and per-sensor manufacturing offsets, then degrades to failure
 * over `lifeCycles` cycles; noise is white per cycle, as in C-MAPSS.
 */
export class TurbofanModel {
  private readonly rng: Rng;
  private engine = 0;
  private cycle = 1;
  private initialWear = 0;
  private failed = false;
  private offsets = {} as FanReading;
  private sensors = {} as FanReading;
  private pending = 0;

  constructor(
    seed: number,
    private readonly opts: TurbofanOptions,
  ) {
    this.rng = Rng.stream(seed, 'turbofan');
    this.newEngine();
  }

  /** Advances by a (possibly fractional) number of cycles; sensors change once per whole cycle. */
  advance(cycles: number): void {
    this.pending += cycles;
    while (this.pending >= 1) {
      this.pending -= 1;
      if (this.cycle >= this.opts.lifeCycles) {
        if (!this.opts.restartOnFailure) {
          this.failed = true;
          this.pending = 0;
          return;
        }
        this.newEngine();
      } else {
        this.cycle += 1;
        this.sample();
      }
    }
  }

  state(): TurbofanState {
    return {
      engine: this.engine,
      cycle: this.cycle,
      trueRul: this.opts.lifeCycles - this.cycle,
      wear: this.wear(),
      failed: this.failed,
      sensors: { ...this.sensors },
    };
  }

  private wear(): number {
    return this.initialWear + (1 - this.initialWear) * ((this.cycle - 1) / (this.opts.lifeCycles - 1));
  }

  private newEngine(): void {
    this.engine += 1;
    this.cycle = 1;
    this.failed = false;
    this.initialWear = this.rng.between(0, INITIAL_WEAR_MAX);
    for (const s of FAN_SENSORS) this.offsets[s] = FAN_CALIBRATION[s].unitStd * this.rng.normal();
    this.sample();
  }

  private sample(): void {
    const w = this.wear();
    for (const s of FAN_SENSORS) {
      const c = FAN_CALIBRATION[s];
      const v = c.healthy + this.offsets[s] + c.shift * degradation(w, c.k) + c.noise * this.rng.normal();
      const p = 10 ** c.decimals;
      this.sensors[s] = Math.round(v * p) / p;
    }
  }
}
