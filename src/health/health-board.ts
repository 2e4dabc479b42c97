import { SkipError } from '../core/errors';
import { TypedEmitter } from '../core/typed-emitter';
import type { AssetPipeline } from '../assets/pipeline';
import type { WindowResult } from '../assets/types';
import type { Logger } from '../observability/logger';
import type { ActiveAlarm } from './alarms';
import type { AlarmEvent, HealthResult } from './types';

/** The latest health of one asset under one model, with the window it came from. */
export interface BoardHealth extends HealthResult {
  readonly asset: string;
  /** The window's sequence number, start and end (source time, epoch ms). */
  readonly seq: number;
  readonly start: number;
  readonly ts: number;
}

/** An asset as SCADA shows it: its channels, each with its source tag and engineering unit. */
export interface BoardAsset {
  readonly id: string;
  readonly kind: string;
  readonly channels: readonly { readonly name: string; readonly tag: string; readonly units?: string }[];
}

export interface BoardSnapshot {
  readonly assets: readonly BoardAsset[];
  readonly health: readonly BoardHealth[];
  readonly alarms: readonly ActiveAlarm[];
}

export interface HealthBoardEvents {
  /** New health of an asset (one entry per model that scored the window). */
  health: (asset: string, results: readonly BoardHealth[]) => void;
  /** An alarm was raised, escalated, cleared or acknowledged. */
  alarm: (e: AlarmEvent) => void;
}

export interface AckResult {
  readonly asset: string;
  readonly key: string;
  /** false when the alarm was already acknowledged (nothing changed; not an error). */
  readonly acknowledged: boolean;
  readonly by: string;
  readonly detail?: string;
}

/** An acknowledgement naming an asset or alarm that does not exist (counted and logged). */
export class AckError extends SkipError {}

/** Anything that takes operator acknowledgements (the board; the downlink `ack` command uses it). */
export interface Acknowledger {
  acknowledge(asset: string, key: string, by: string): AckResult;
}

/**
 * The read model the SCADA server (and anything else reading results) consumes: the latest
 * health per asset and model, the live alarms across assets, the assets' channels with units,
 * and change events. Acknowledgements go to the pipeline owning the alarm, so the acknowledge
 * event reaches the outbox like every other alarm event.
 */
export class HealthBoard extends TypedEmitter<HealthBoardEvents> implements Acknowledger {
  private readonly pipelines = new Map<string, AssetPipeline>();
  private readonly latestOf = new Map<string, Map<string, BoardHealth>>();
  private readonly c = { windows: 0, healthUpdates: 0, alarmEvents: 0, acks: 0, acksRepeated: 0, acksRejected: 0 };

  constructor(private readonly log: Logger) {
    super();
  }

  /** Follows a pipeline's windows and alarm events. */
  attach(p: AssetPipeline): void {
    if (this.pipelines.has(p.id)) throw new Error(`health board: asset ${p.id} is attached twice`);
    this.pipelines.set(p.id, p);
    this.latestOf.set(p.id, new Map());
    p.on('window', (w) => this.observeWindow(w));
    p.on('alarm', (e) => this.observeAlarm(e));
  }

  private observeWindow(w: WindowResult): void {
    this.c.windows++;
    if (!w.health || w.health.length === 0) return;
    const latest = this.latestOf.get(w.asset) as Map<string, BoardHealth>;
    const results = w.health.map((h): BoardHealth => ({ asset: w.asset, seq: w.seq, start: w.start, ts: w.end, ...h }));
    for (const r of results) latest.set(r.model, r);
    this.c.healthUpdates += results.length;
    this.emit('health', w.asset, results);
  }

  private observeAlarm(e: AlarmEvent): void {
    this.c.alarmEvents++;
    this.emit('alarm', e);
  }

  assets(): BoardAsset[] {
    return [...this.pipelines.values()].map((p) => ({ id: p.id, kind: p.kind, channels: p.channelInfo() }));
  }

  /** The latest health per model, of one asset or of all (asset order, then model order of first result). */
  health(asset?: string): BoardHealth[] {
    const maps = asset === undefined ? [...this.latestOf.values()] : [this.latestOf.get(asset) ?? new Map<string, BoardHealth>()];
    return maps.flatMap((m) => [...m.values()]);
  }

  /** Live alarms, of one asset or across all. */
  activeAlarms(asset?: string): ActiveAlarm[] {
    const ps = asset === undefined ? [...this.pipelines.values()] : [this.pipelines.get(asset)].filter((p) => p !== undefined);
    return ps.flatMap((p) => p.activeAlarms());
  }

  snapshot(): BoardSnapshot {
    return { assets: this.assets(), health: this.health(), alarms: this.activeAlarms() };
  }

  /**
   * Operator acknowledgement of the live alarm `key` of `asset`. An unknown asset or an alarm that
   * is not live throws an AckError (counted, logged); an alarm already acknowledged is reported
   * as such and changes nothing.
   */
  acknowledge(asset: string, key: string, by: string): AckResult {
    const p = this.pipelines.get(asset);
    if (!p) return this.reject(asset, key, by, `unknown asset "${asset}" (assets: ${[...this.pipelines.keys()].join(', ') || 'none'})`);
    const live = p.activeAlarms();
    const alarm = live.find((a) => a.key === key);
    if (!alarm) return this.reject(asset, key, by, `asset ${asset} has no live alarm "${key}" (live: ${live.map((a) => a.key).join(', ') || 'none'})`);
    if (alarm.acknowledged || !p.acknowledge(key, by)) {
      this.c.acksRepeated++;
      return { asset, key, acknowledged: false, by, detail: 'already acknowledged' };
    }
    this.c.acks++;
    this.log.info({ asset, alarm: key, by }, `alarm ${key} acknowledged by ${by}`);
    return { asset, key, acknowledged: true, by };
  }

  stats(): Record<string, number> {
    return { ...this.c, activeAlarms: this.activeAlarms().length };
  }

  private reject(asset: string, key: string, by: string, why: string): never {
    this.c.acksRejected++;
    this.log.warn({ asset, alarm: key, by }, `acknowledgement refused: ${why}`);
    throw new AckError('ack', why);
  }
}
