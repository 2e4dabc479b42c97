import { z } from 'zod';

export const featureName = z.enum([
  'mean', 'std', 'rms', 'min', 'max', 'p2p', 'crest', 'kurtosis', 'skewness', 'slope', 'last',
  'band_energy', 'dominant_freq', 'spectral_kurtosis',
]);

export const windowConfig = z.strictObject({
  type: z.enum(['time', 'count']).default('time'),
  size: z.number().positive().describe('Milliseconds for time windows, frames for count windows'),
  step: z.number().positive().optional().describe('Slide; equal to size (tumbling) when absent'),
  frameMs: z.number().int().positive().default(1000).describe('Alignment grid: one frame per period'),
});

export const gapPolicy = z.strictObject({
  policy: z.enum(['skip', 'ffill', 'degraded']).default('ffill'),
  maxFillMs: z.number().int().min(0).default(5000).describe('Forward-fill a missing or bad value at most this long'),
  minCoverage: z.number().min(0).max(1).default(0.8).describe('Share of good frames a window needs'),
});

export const assetModelBinding = z.strictObject({
  id: z.string().min(1).describe('Model id under the models directory'),
  role: z.enum(['anomaly', 'rul']),
  input: z.enum(['features', 'frames']).default('frames').describe('What the model reads: feature vector or the window of frames'),
  shadow: z.string().optional().describe('Candidate model id run beside the active one'),
});

export const healthConfig = z.strictObject({
  threshold: z.number().optional().describe('Anomaly score that raises; defaults to the model manifest'),
  clearThreshold: z.number().optional().describe('Hysteresis: score that clears; defaults to 0.8 x threshold'),
  n: z.number().int().min(1).default(3).describe('n of the last m windows above threshold raise the alarm'),
  m: z.number().int().min(1).default(5),
  rulWarnCycles: z.number().min(0).default(50),
  rulAlarmCycles: z.number().min(0).default(20),
});

export const assetConfig = z.strictObject({
  id: z.string().min(1).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only'),
  kind: z.string().default('generic'),
  description: z.string().optional(),
  tags: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), z.string().regex(/^[A-Za-z0-9_-]+\/[A-Za-z0-9_.-]+$/, 'expected <sourceId>/<tagName>'))
    .describe('Channel name -> source tag (<sourceId>/<tagName>)'),
  window: windowConfig,
  gaps: gapPolicy.default({ policy: 'ffill', maxFillMs: 5000, minCoverage: 0.8 }),
  features: z.array(featureName).default(['mean', 'std', 'min', 'max', 'last']),
  models: z.array(assetModelBinding).default([]),
  health: healthConfig.default({ n: 3, m: 5, rulWarnCycles: 50, rulAlarmCycles: 20 }),
});

export type AssetConfig = z.infer<typeof assetConfig>;
export type WindowConfig = z.infer<typeof windowConfig>;
export type FeatureName = z.infer<typeof featureName>;
