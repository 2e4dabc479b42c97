import type { AssetConfig, AssetModelBinding } from './config';
import type { RawWindow } from './frame';
import type { HealthResult, WindowQuality } from '../health/types';

export type { WindowQuality };

/** What the pipeline emits per window (JSON-safe: every number is finite). */
export interface WindowResult {
  readonly asset: string;
  /** Per-asset sequence number of emitted windows, from 0 (gaps in it never happen). */
  readonly seq: number;
  readonly start: number;
  readonly end: number;
  readonly frames: number;
  readonly quality: WindowQuality;
  readonly coverage: number;
  /** channel -> feature -> value; a channel with no usable value in the window is absent. */
  readonly features: Record<string, Record<string, number>>;
  /** Channels with no usable value in the window. */
  readonly missingChannels: readonly string[];
  /** channel -> engineering unit, for the channels whose source tag names one (absent when none does). */
  readonly units?: Readonly<Record<string, string>>;
  /** One entry per bound model that scored the window. */
  health?: readonly HealthResult[];
}

/** A window that was not emitted, with the reason in words naming the asset. */
export interface SkippedWindow {
  readonly asset: string;
  readonly start: number;
  readonly end: number;
  readonly reason: 'empty' | 'coverage';
  readonly coverage: number;
  readonly message: string;
}

/**
 * A window as the model layer sees it: the aligned frames plus its features. The pipeline reuses
 * the arrays of `raw` once the window has been emitted: a model layer copies what it keeps longer.
 */
export interface AnalyzedWindow {
  readonly raw: RawWindow;
  readonly result: WindowResult;
}

/** One bound model's output for one window (or why it has none). */
export interface ModelScore {
  readonly binding: AssetModelBinding;
  readonly model: string;
  readonly version: string;
  readonly value?: number;
  readonly units?: string;
  /** Anomaly threshold / RUL limits from the manifest, when the asset config has none. */
  readonly thresholds?: { readonly anomaly?: number; readonly rulWarn?: number; readonly rulAlarm?: number };
  readonly shadow?: { readonly model: string; readonly version: string; readonly value: number; readonly disagree: boolean };
  readonly error?: string;
  /** No value yet: the model's per-asset baseline is still being learned (its progress; not an error). */
  readonly calibrating?: string;
}

/** Where the model layer delivers one window's scores: settle() once, with the scores or the error. */
export interface ScoreSink {
  settle(scores: readonly ModelScore[] | undefined, error?: unknown): void;
}

/** The model layer as the pipeline needs it (src/models implements it; tests may pass a fake). */
export interface ModelRunnerLike {
  score(asset: AssetConfig, window: AnalyzedWindow): Promise<readonly ModelScore[]>;
  /**
   * The same as score() without a promise per window (the pipeline's hot path uses it when
   * present): the scores go to sink.settle(), possibly synchronously. Returns true when it will
   * not read `window.raw` after returning (its values are already in a batch), so the pipeline
   * may reuse those arrays at once instead of after the window is emitted.
   */
  scoreInto?(asset: AssetConfig, window: AnalyzedWindow, sink: ScoreSink): boolean;
}
