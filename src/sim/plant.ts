import type { SimulatorConfig } from './config';
import { FaultBook, type ActiveFault, type FaultInjection } from './faults';
import { PumpModel } from './pump-model';
import { PUMP_CHANNELS } from './pump-calibration';
import { ReplayPlayer, type ParsedReplay } from './replay';
import { SIGNAL_NAMES, type SignalName, type SignalPoint } from './signals';
import { TurbofanModel, type TurbofanState } from './turbofan-model';
import { FAN_SENSORS } from './turbofan-calibration';

export interface PlantSnapshot {
  /** Simulated seconds since start. */
  readonly simSeconds: number;
  readonly values: Readonly<Record<SignalName, SignalPoint>>;
  /** The turbofan's current cycle and true remaining useful life (from the model or the replayed file). */
  readonly cycle: number;
  readonly trueRul: number;
  readonly engine: number;
  readonly faults: readonly ActiveFault[];
  readonly replay?: { readonly asset: 'Pump1' | 'Fan1'; readonly row: number; readonly rows: number };
}

/**
 * The simulated plant without any I/O: the pump and turbofan models (or a replayed file), the
 * fault book and the channel faults, advanced by explicit time steps so it is deterministic.
 */
export class Plant {
  private readonly pump: PumpModel;
  private readonly fan: TurbofanModel;
  private readonly faults: FaultBook;
  private readonly points = new Map<SignalName, SignalPoint>();
  private fanState: TurbofanState;
  private seconds = 0;

  constructor(
    private readonly cfg: SimulatorConfig,
    private readonly replay?: ReplayPlayer,
    private readonly onFaultChange?: (what: 'started' | 'ended', f: ActiveFault) => void,
  ) {
    this.pump = new PumpModel(cfg.seed);
    this.fan = new TurbofanModel(cfg.seed, { lifeCycles: cfg.turbofan.lifeCycles, restartOnFailure: cfg.turbofan.restartOnFailure });
    this.fanState = this.fan.state();
    this.faults = new FaultBook(cfg.faults);
  }

  static withReplay(cfg: SimulatorConfig, parsed: ParsedReplay, onFaultChange?: (what: 'started' | 'ended', f: ActiveFault) => void): Plant {
    const r = cfg.replay;
    return new Plant(cfg, new ReplayPlayer(parsed, r?.rowsPerSecond ?? 1, r?.loop ?? true), onFaultChange);
  }

  get simSeconds(): number {
    return this.seconds;
  }

  get replayPlayer(): ReplayPlayer | undefined {
    return this.replay;
  }

  inject(f: FaultInjection): ActiveFault {
    const a = this.faults.inject(f, this.seconds);
    this.onFaultChange?.('started', a);
    return a;
  }

  clearFaults(): void {
    for (const a of this.faults.list()) this.onFaultChange?.('ended', a);
    this.faults.clear();
  }

  activeFaults(): readonly ActiveFault[] {
    return this.faults.list();
  }

  /** Advances by dt simulated seconds (0 = just compute the current values); nowMs stamps the values. */
  step(dtS: number, nowMs: number): ReadonlyMap<SignalName, SignalPoint> {
    this.seconds += dtS;
    const { started, ended } = this.faults.update(this.seconds);
    for (const a of started) this.onFaultChange?.('started', a);
    for (const a of ended) this.onFaultChange?.('ended', a);

    const fresh = new Map<SignalName, number>();
    const replayed = this.replay?.parsed.asset;
    const row = this.replay?.advance(dtS);
    if (row) for (const [k, v] of Object.entries(row) as [SignalName, number][]) fresh.set(k, v);

    if (replayed !== 'Pump1') {
      const p = this.pump.step(dtS, this.faults.pumpLevels());
      for (const c of PUMP_CHANNELS) fresh.set(`Pump1.${c}`, p[c]);
    }
    if (replayed !== 'Fan1') {
      this.fan.advance(dtS * this.cfg.turbofan.cyclesPerSecond);
      this.fanState = this.fan.state();
      for (const s of FAN_SENSORS) fresh.set(`Fan1.${s}`, this.fanState.sensors[s]);
      fresh.set('Fan1.Cycle', this.fanState.cycle);
      fresh.set('Fan1.TrueRUL', this.fanState.trueRul);
    }

    const channel = this.faults.channelFaults();
    for (const name of SIGNAL_NAMES) {
      const prev = this.points.get(name);
      const value = fresh.get(name);
      if (value === undefined) continue;
      const fault = channel.get(name);
      if (fault === 'dropout') this.points.set(name, { value: prev?.value ?? value, quality: 'bad', sourceTs: nowMs });
      else if (fault === 'stuck') this.points.set(name, { value: prev?.value ?? value, quality: 'good', sourceTs: nowMs });
      else this.points.set(name, { value, quality: 'good', sourceTs: nowMs });
    }
    return this.points;
  }

  current(): ReadonlyMap<SignalName, SignalPoint> {
    return this.points;
  }

  snapshot(): PlantSnapshot {
    const values = Object.fromEntries(this.points) as Record<SignalName, SignalPoint>;
    const replay = this.replay ? { asset: this.replay.parsed.asset, row: this.replay.rowIndex, rows: this.replay.parsed.rows.length } : undefined;
    const fromReplay = replay?.asset === 'Fan1';
    return {
      simSeconds: this.seconds,
      values,
      cycle: fromReplay ? (values['Fan1.Cycle']?.value ?? 0) : this.fanState.cycle,
      trueRul: fromReplay ? (values['Fan1.TrueRUL']?.value ?? 0) : this.fanState.trueRul,
      engine: fromReplay ? 0 : this.fanState.engine,
      faults: [...this.faults.list()],
      ...(replay ? { replay } : {}),
    };
  }
}
