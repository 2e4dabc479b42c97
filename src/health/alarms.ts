import type { AlarmEvent, AlarmSeverity, WindowQuality } from './types';

export interface AlarmContext {
  readonly asset: string;
  readonly model: string;
  readonly version: string;
  readonly condition: 'anomaly' | 'rul';
  readonly ts: number;
  readonly value: number;
  readonly quality: WindowQuality;
}

export interface ActiveAlarm {
  readonly key: string;
  readonly asset: string;
  readonly model: string;
  version: string;
  readonly condition: 'anomaly' | 'rul';
  severity: AlarmSeverity;
  readonly raisedAt: number;
  acknowledged: boolean;
  lastValue: number;
  /** The quality of the window `lastValue` came from (set at the raise, refreshed with each window). */
  quality: WindowQuality;
}

/**
 * The live alarms of one asset. One alarm per (asset, model, condition): repeated windows in the
 * same state produce no event (deduplicated); a severity change is one `escalate` event; clear and
 * acknowledge are events too. A cleared alarm can be raised again.
 */
export class AlarmBook {
  private readonly live = new Map<string, ActiveAlarm>();

  static key(asset: string, model: string, condition: string): string {
    return `${asset}/${model}/${condition}`;
  }

  /**
   * Sets the wanted severity (undefined = no alarm); returns the event to publish, if any. `key`
   * is AlarmBook.key() of the context, when the caller keeps it (this runs for every window).
   */
  update(ctx: AlarmContext, want: AlarmSeverity | undefined, key = AlarmBook.key(ctx.asset, ctx.model, ctx.condition)): AlarmEvent | undefined {
    const cur = this.live.get(key);
    if (cur) {
      cur.lastValue = ctx.value;
      cur.quality = ctx.quality;
      cur.version = ctx.version;
    }
    if (want && !cur) {
      this.live.set(key, { key, asset: ctx.asset, model: ctx.model, version: ctx.version, condition: ctx.condition, severity: want, raisedAt: ctx.ts, acknowledged: false, lastValue: ctx.value, quality: ctx.quality });
      return this.event(key, ctx, 'raise', want, `${ctx.condition} alarm raised on ${ctx.asset} by ${ctx.model}@${ctx.version}: value ${fmt(ctx.value)}`);
    }
    if (want && cur && cur.severity !== want) {
      const from = cur.severity;
      cur.severity = want;
      cur.acknowledged = false;
      return this.event(key, ctx, 'escalate', want, `${ctx.condition} alarm on ${ctx.asset} changed from ${from} to ${want}: value ${fmt(ctx.value)}`);
    }
    if (!want && cur) {
      this.live.delete(key);
      return this.event(key, ctx, 'clear', cur.severity, `${ctx.condition} alarm on ${ctx.asset} cleared: value ${fmt(ctx.value)}`);
    }
    return undefined;
  }

  /** A live alarm under `key` (AlarmBook.key()). */
  has(key: string): boolean {
    return this.live.has(key);
  }

  /** Operator acknowledgement; undefined when there is no such live, unacknowledged alarm. */
  acknowledge(key: string, ts: number, by = 'operator'): AlarmEvent | undefined {
    const cur = this.live.get(key);
    if (!cur || cur.acknowledged) return undefined;
    cur.acknowledged = true;
    return {
      key, asset: cur.asset, model: cur.model, version: cur.version, condition: cur.condition, action: 'acknowledge', severity: cur.severity,
      ts, value: cur.lastValue, quality: cur.quality, message: `${cur.condition} alarm on ${cur.asset} acknowledged by ${by}`,
    };
  }

  active(): readonly ActiveAlarm[] {
    return [...this.live.values()].map((a) => ({ ...a }));
  }

  private event(key: string, ctx: AlarmContext, action: AlarmEvent['action'], severity: AlarmSeverity, message: string): AlarmEvent {
    return { key, asset: ctx.asset, model: ctx.model, version: ctx.version, condition: ctx.condition, action, severity, ts: ctx.ts, value: ctx.value, quality: ctx.quality, message };
  }
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
