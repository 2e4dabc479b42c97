import { z } from 'zod';
import { FEATURE_NAMES } from '../features/compute';
import { gridChannels, waveformIssues, waveformsConfig } from './waveform-config';

export const featureName = z.enum(FEATURE_NAMES);

export const windowConfig = z.strictObject({
  type: z.enum(['time', 'count']).default('time').describe('time: windows on the clock (epoch-aligned); count: every `size` frames'),
  size: z.number().positive().describe('Milliseconds for time windows, frames for count windows'),
  step: z.number().positive().optional().describe('Slide; equal to size (tumbling) when absent'),
  frameMs: z.number().int().positive().default(1000).describe('Alignment grid: one frame per period'),
  frameAgg: z.enum(['last', 'mean']).default('mean').describe('How several values of one tag inside one frame become one'),
  latenessMs: z.number().int().min(0).optional().describe('How long a frame stays open for late values (by source time); default one frame'),
  idleFlushMs: z.number().int().positive().optional().describe('Close frames on the gateway clock when no sample arrives for this long; default 2 frames + lateness'),
  maxFutureMs: z.number().int().min(0).default(60000).describe('A sample stamped further than this ahead of its receipt is rejected (bad device clock)'),
});

export const gapPolicy = z.strictObject({
  policy: z.enum(['skip', 'ffill', 'degraded']).default('ffill')
    .describe('skip: no filling, windows under minCoverage are dropped; ffill: forward-fill up to maxFillMs, then drop under minCoverage; degraded: forward-fill, never drop a window with data, mark it degraded'),
  maxFillMs: z.number().int().min(0).default(5000).describe('Forward-fill a missing or bad value at most this long after the last good one'),
  minCoverage: z.number().min(0).max(1).default(0.8).describe('Share of (frame, channel) cells holding a value a window needs'),
});

export const assetModelBinding = z.strictObject({
  id: z.string().min(1).describe('Model id under the models directory'),
  role: z.enum(['anomaly', 'rul']),
  input: z.enum(['features', 'frames']).default('frames').describe('What the model reads: feature vector or the window of frames (the manifest has the last word)'),
  shadow: z.string().optional().describe('Candidate model id run beside the active one'),
});

export const healthConfig = z.strictObject({
  threshold: z.number().optional().describe('Anomaly score that raises; defaults to the model manifest'),
  clearThreshold: z.number().optional().describe('Hysteresis: score that clears; defaults to 0.8 x threshold'),
  n: z.number().int().min(1).default(3).describe('n of the last m windows above threshold raise the alarm'),
  m: z.number().int().min(1).default(5),
  rulWarn: z.number().min(0).optional().describe('RUL at or under which a warning is raised; defaults to the manifest, else 50'),
  rulAlarm: z.number().min(0).optional().describe('RUL at or under which the alarm is critical; defaults to the manifest, else 20'),
});

export const spectralConfig = z.strictObject({
  bands: z.array(z.tuple([z.number().min(0), z.number().positive()])).default([])
    .describe('Frequency bands [lo, hi) in Hz for band_energy (sampling rate = 1000 / frameMs)'),
});

export const assetConfig = z
  .strictObject({
    id: z.string().min(1).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only'),
    kind: z.string().default('generic'),
    description: z.string().optional(),
    tags: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), z.string().regex(/^[A-Za-z0-9_-]+\/[A-Za-z0-9_.-]+$/, 'expected <sourceId>/<tagName>'))
      .describe('Channel name -> source tag (<sourceId>/<tagName>)'),
    window: windowConfig,
    gaps: gapPolicy.default({ policy: 'ffill', maxFillMs: 5000, minCoverage: 0.8 }),
    features: z.array(featureName).default(['mean', 'std', 'min', 'max', 'last']),
    spectral: spectralConfig.default({ bands: [] }),
    waveforms: waveformsConfig.default({}),
    models: z.array(assetModelBinding).default([]),
    health: healthConfig.default({ n: 3, m: 5 }),
  })
  .superRefine((a, ctx) => {
    const w = a.window;
    const step = w.step ?? w.size;
    if (w.type === 'time') {
      if (w.size % w.frameMs !== 0) ctx.addIssue({ code: 'custom', path: ['window', 'size'], message: `time window size ${w.size} ms is not a multiple of frameMs ${w.frameMs}` });
      if (step % w.frameMs !== 0) ctx.addIssue({ code: 'custom', path: ['window', 'step'], message: `time window step ${step} ms is not a multiple of frameMs ${w.frameMs}` });
    } else {
      if (!Number.isInteger(w.size)) ctx.addIssue({ code: 'custom', path: ['window', 'size'], message: 'count window size must be a whole number of frames' });
      if (!Number.isInteger(step)) ctx.addIssue({ code: 'custom', path: ['window', 'step'], message: 'count window step must be a whole number of frames' });
    }
    if (step > w.size) ctx.addIssue({ code: 'custom', path: ['window', 'step'], message: `step ${step} is larger than size ${w.size}: frames between windows would be lost` });
    if (Object.keys(a.tags).length === 0) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'an asset needs at least one tag' });
    if (a.features.includes('band_energy') && a.spectral.bands.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['spectral', 'bands'], message: 'feature band_energy needs at least one band' });
    }
    a.spectral.bands.forEach(([lo, hi], i) => {
      if (hi <= lo) ctx.addIssue({ code: 'custom', path: ['spectral', 'bands', i], message: `band [${lo}, ${hi}) is empty` });
    });
    for (const issue of waveformIssues(a.tags, a.waveforms)) ctx.addIssue({ code: 'custom', ...issue });
    // Until src/models/input-assembly.ts takes its channel list from assetChannels() (it reads the
    // keys of tags), a model on an asset with waveforms would read the wrong columns: refuse it.
    if (Object.keys(a.waveforms).length > 0 && a.models.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['models'], message: 'models cannot yet be bound to an asset with waveform channels (the model layer does not know their feature channels); remove models here, or the waveforms' });
    }
    if (a.health.n > a.health.m) ctx.addIssue({ code: 'custom', path: ['health', 'n'], message: `n (${a.health.n}) is larger than m (${a.health.m})` });
  });

export type AssetConfig = z.infer<typeof assetConfig>;

/** Frames in one of the asset's windows (a time window's size is in ms, a count window's in frames). */
export function assetWindowFrames(a: AssetConfig): number {
  return a.window.type === 'time' ? Math.round(a.window.size / a.window.frameMs) : Math.round(a.window.size);
}
/**
 * The channels of the asset's frames and windows, in order: its tags' channels, except that a
 * waveform channel is replaced by its block-feature channels `<channel>.<feature>`, put after
 * the scalar ones (see gridChannels). Without waveforms: exactly the keys of `tags`.
 */
export function assetChannels(a: Pick<AssetConfig, 'tags' | 'waveforms'>): string[] {
  return gridChannels(a.tags, a.waveforms);
}
export type AssetConfigInput = z.input<typeof assetConfig>;
export type WindowConfig = z.infer<typeof windowConfig>;
export type GapPolicy = z.infer<typeof gapPolicy>;
export type AssetModelBinding = z.infer<typeof assetModelBinding>;
export type HealthConfig = z.infer<typeof healthConfig>;
export type { FeatureName } from '../features/compute';
