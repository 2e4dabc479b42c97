/** Health of one window under one model, as written to the outbox and shown to SCADA. */
export type HealthState = 'normal' | 'warning' | 'alarm';
export type WindowQuality = 'good' | 'degraded';
export type AlarmSeverity = 'warning' | 'critical';

export interface HealthResult {
  readonly model: string;
  readonly version: string;
  readonly role: 'anomaly' | 'rul';
  /** Anomaly score (higher = worse) or remaining useful life in `units`. */
  readonly value: number;
  readonly units?: string;
  readonly state: HealthState;
  /** The quality of the window the value was computed from. */
  readonly quality: WindowQuality;
  /**
   * RUL models: the maintenance window, in the model's units from the window's end; `dueBy` is
   * its source-time estimate (epoch ms) when the units convert to time (a time unit, or
   * assets[].health.rulUnitMs).
   */
  readonly maintenance?: { readonly dueIn: number; readonly units: string; readonly urgency: HealthState; readonly dueBy?: number };
  /** A shadow candidate scored the same window. */
  readonly shadow?: { readonly model: string; readonly version: string; readonly value: number; readonly disagree: boolean };
}

/** A change of an alarm; `key` deduplicates (one live alarm per asset, model and condition). */
export interface AlarmEvent {
  readonly key: string;
  readonly asset: string;
  readonly model: string;
  readonly version: string;
  readonly condition: 'anomaly' | 'rul';
  readonly action: 'raise' | 'escalate' | 'clear' | 'acknowledge';
  readonly severity: AlarmSeverity;
  /** Source time of the window that caused it (end of window), or the ack time. */
  readonly ts: number;
  readonly value: number;
  readonly quality: WindowQuality;
  readonly message: string;
}
