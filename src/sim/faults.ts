import { SkipError } from '../core/errors';
import { pumpFault, type PumpFault } from './config';
import type { PumpFaultLevels } from './pump-model';
import { resolveSignal, SIGNAL_NAMES, type SignalName } from './signals';

export type FaultKind = PumpFault;
export const FAULT_KINDS: readonly FaultKind[] = pumpFault.options;

export interface FaultInjection {
  fault: FaultKind;
  /** 0..1; dropout and stuck apply in full whenever severity > 0. */
  severity: number;
  /** For dropout and stuck: the affected signal (`Pump1.Current`, `Current`, `Fan1.s2`, `s2`). */
  channel?: string;
  /** Absent = until cleared. */
  durationSeconds?: number;
}

export interface ActiveFault {
  readonly id: number;
  readonly fault: FaultKind;
  readonly severity: number;
  readonly channel?: SignalName;
  /** Simulated seconds since start when the fault began / ends. */
  readonly startS: number;
  readonly endS?: number;
}

export interface ScheduledFault extends FaultInjection {
  atSeconds: number;
}

const CHANNEL_FAULTS: ReadonlySet<FaultKind> = new Set(['dropout', 'stuck']);

/** Validates an injection; throws a SkipError naming the bad field (the simulator keeps running). */
export function checkInjection(f: FaultInjection): { fault: FaultKind; severity: number; channel?: SignalName; durationSeconds?: number } {
  if (!FAULT_KINDS.includes(f.fault)) throw new SkipError('fault', `unknown fault "${String(f.fault)}", expected one of ${FAULT_KINDS.join(', ')}`);
  if (!Number.isFinite(f.severity) || f.severity < 0 || f.severity > 1) throw new SkipError('fault.severity', `expected a number in 0..1, got ${String(f.severity)}`);
  if (f.durationSeconds !== undefined && !(f.durationSeconds > 0)) throw new SkipError('fault.durationSeconds', `expected a positive number, got ${String(f.durationSeconds)}`);
  let channel: SignalName | undefined;
  if (CHANNEL_FAULTS.has(f.fault)) {
    if (!f.channel) throw new SkipError('fault.channel', `${f.fault} needs a channel (one of ${SIGNAL_NAMES.join(', ')})`);
    channel = resolveSignal(f.channel);
    if (!channel) throw new SkipError('fault.channel', `unknown channel "${f.channel}", expected one of ${SIGNAL_NAMES.join(', ')}`);
  } else if (f.channel !== undefined) {
    throw new SkipError('fault.channel', `${f.fault} acts on the whole pump and takes no channel (got "${f.channel}")`);
  }
  return { fault: f.fault, severity: f.severity, channel, durationSeconds: f.durationSeconds };
}

/** Active and scheduled faults against simulated time. */
export class FaultBook {
  private readonly pending: ScheduledFault[];
  private active: ActiveFault[] = [];
  private nextId = 1;

  constructor(schedule: readonly ScheduledFault[] = []) {
    for (const s of schedule) checkInjection(s);
    this.pending = [...schedule].sort((a, b) => a.atSeconds - b.atSeconds);
  }

  inject(f: FaultInjection, nowS: number): ActiveFault {
    const c = checkInjection(f);
    const a: ActiveFault = {
      id: this.nextId++,
      fault: c.fault,
      severity: c.severity,
      ...(c.channel ? { channel: c.channel } : {}),
      startS: nowS,
      ...(c.durationSeconds !== undefined ? { endS: nowS + c.durationSeconds } : {}),
    };
    if (a.severity > 0) this.active.push(a);
    return a;
  }

  /** Ends every active fault (scheduled ones still start at their time). */
  clear(): void {
    this.active = [];
  }

  /** Starts due scheduled faults and ends expired ones; returns what changed. */
  update(nowS: number): { started: ActiveFault[]; ended: ActiveFault[] } {
    const started: ActiveFault[] = [];
    while (this.pending.length > 0 && this.pending[0]!.atSeconds <= nowS) {
      const s = this.pending.shift()!;
      // A schedule entry that ended before this tick (large time steps) still counts as having run.
      started.push(this.inject(s, s.atSeconds));
    }
    const ended = this.active.filter((a) => a.endS !== undefined && a.endS <= nowS);
    if (ended.length > 0) this.active = this.active.filter((a) => !ended.includes(a));
    return { started, ended };
  }

  list(): readonly ActiveFault[] {
    return this.active;
  }

  /** The strongest active severity of each process fault. */
  pumpLevels(): PumpFaultLevels {
    const out: PumpFaultLevels = { cavitation: 0, 'bearing-wear': 0, 'valve-closed': 0 };
    for (const a of this.active) if (a.fault in out) out[a.fault as keyof PumpFaultLevels] = Math.max(out[a.fault as keyof PumpFaultLevels], a.severity);
    return out;
  }

  /** Signals under a channel fault; dropout wins over stuck. */
  channelFaults(): Map<SignalName, 'dropout' | 'stuck'> {
    const out = new Map<SignalName, 'dropout' | 'stuck'>();
    for (const a of this.active) {
      if (!a.channel) continue;
      if (a.fault === 'dropout') out.set(a.channel, 'dropout');
      else if (a.fault === 'stuck' && !out.has(a.channel)) out.set(a.channel, 'stuck');
    }
    return out;
  }
}

/**
 * Parses the live fault text written to `Sim.Fault`: `none`, `cavitation:0.8`,
 * `dropout:1:Current`, `valve-closed:0.5:30` (severity, then channel and/or duration in seconds).
 * Returns null for `none` (= clear all).
 */
export function parseFaultText(text: string): FaultInjection | null {
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'none' || t.toLowerCase() === 'clear') return null;
  const [fault, sev, ...rest] = t.split(':').map((p) => p.trim());
  const f: FaultInjection = { fault: fault as FaultKind, severity: sev === undefined || sev === '' ? 1 : Number(sev) };
  for (const r of rest) {
    if (r === '') continue;
    if (/^\d+(\.\d+)?$/.test(r)) f.durationSeconds = Number(r);
    else f.channel = r;
  }
  checkInjection(f);
  return f;
}

/**
 * Parses a CLI schedule `KIND@START[:DURATION[:SEVERITY[:CHANNEL]]]`, e.g. `cavitation@30:60:0.8`,
 * `stuck@10::1:Pressure` (empty duration = until stopped).
 */
export function parseFaultSpec(spec: string): ScheduledFault {
  const m = /^([a-z-]+)@([0-9.]+)(?::([0-9.]*))?(?::([0-9.]*))?(?::(.+))?$/.exec(spec.trim());
  if (!m) throw new SkipError(`--fault ${spec}`, 'expected KIND@START[:DURATION[:SEVERITY[:CHANNEL]]], e.g. cavitation@30:60:0.8');
  const s: ScheduledFault = { fault: m[1] as FaultKind, atSeconds: Number(m[2]), severity: m[4] ? Number(m[4]) : 1 };
  if (m[3]) s.durationSeconds = Number(m[3]);
  if (m[5]) s.channel = m[5];
  try {
    checkInjection(s);
  } catch (e) {
    throw new SkipError(`--fault ${spec}`, e instanceof Error ? e.message : String(e));
  }
  return s;
}

/** What `Sim.Fault` reads back: `none`, or the active faults as `kind:severity[:channel]` joined by `,`. */
export function describeFaults(faults: readonly ActiveFault[]): string {
  if (faults.length === 0) return 'none';
  return faults.map((f) => `${f.fault}:${f.severity}${f.channel ? `:${f.channel}` : ''}`).join(',');
}
