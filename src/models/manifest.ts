import { z } from 'zod';

/**
 * The contract between a trained model and the pipeline: with this file beside model.onnx, any
 * ONNX model (ours, PyTorch, skl2onnx, ...) is bound to an asset with no code change.
 *
 * Input layouts:
 * - `frames`: a window of aligned frames, tensor [batch, frames, channels], channels in the order
 *   of `channels` (asset channel names), normalized per channel before the model sees them.
 * - `features`: a feature vector [batch, features], `features` lists `<channel>.<feature>` names.
 * Outputs: anomaly models output one score per window ([batch] or [batch, 1]; higher = more
 * anomalous; compare with thresholds.anomaly); RUL models output remaining life ([batch] or
 * [batch, 1]) in `units`.
 */
export const normalization = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('zscore'), mean: z.array(z.number()), std: z.array(z.number()) }),
  z.strictObject({ type: z.literal('minmax'), min: z.array(z.number()), max: z.array(z.number()) }),
  z
    .strictObject({
      type: z.literal('baseline'),
      frames: z.number().int().min(2).describe("Good frames of the asset's own start that calibrate the per-channel z-score"),
      minStd: z.array(z.number().min(0)).describe('Floor of each channel std (training-set noise), so a quiet calibration cannot inflate deviations'),
      mean: z.array(z.number()).optional().describe('Reference level in the training data (informative)'),
      std: z.array(z.number()).optional().describe('Reference spread in the training data (informative)'),
    })
    .describe("z-score from the asset's own first frames (per-run standardisation, e.g. SKAB)"),
]);

export const manifestInput = z.strictObject({
  name: z.string().min(1).describe('ONNX graph input name'),
  layout: z.enum(['frames', 'features']),
  dtype: z.literal('float32').default('float32'),
  shape: z.array(z.number().int()).describe('ONNX shape; -1 for the batch (dynamic) dimension'),
  channels: z.array(z.string()).optional().describe('frames layout: channel order (last axis)'),
  features: z.array(z.string()).optional().describe('features layout: <channel>.<feature> order'),
  frames: z.number().int().positive().optional().describe('frames layout: window length'),
  normalization: normalization.default({ type: 'none' }),
});

export const manifestOutput = z.strictObject({
  name: z.string().min(1).describe('ONNX graph output name'),
  meaning: z.enum(['anomaly-score', 'rul', 'reconstruction', 'other']),
  units: z.string().optional(),
  range: z.tuple([z.number(), z.number()]).optional().describe('Valid output range; outside = model fault (rollback)'),
});

export const modelSignature = z.strictObject({
  algorithm: z.literal('ed25519'),
  keyId: z.string().min(1).describe('sha256 fingerprint (hex, first 16 chars) of the signing public key'),
  value: z.string().min(1).describe('base64 signature over the canonical manifest without this field'),
});

export const modelManifest = z.strictObject({
  id: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/),
  version: z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'expected semver like 1.2.0'),
  kind: z.enum(['anomaly', 'rul']),
  description: z.string().default(''),
  file: z.string().default('model.onnx'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters'),
  inputs: z.array(manifestInput).min(1),
  outputs: z.array(manifestOutput).min(1),
  thresholds: z
    .strictObject({
      anomaly: z.number().optional().describe('Score above which a window is anomalous'),
      rulWarn: z.number().optional(),
      rulAlarm: z.number().optional(),
    })
    .default({}),
  training: z
    .strictObject({
      data: z.string(),
      protocol: z.string().default(''),
      date: z.string().optional(),
      seed: z.number().int().optional(),
    })
    .optional(),
  metrics: z.record(z.string(), z.number()).default({}),
  signature: modelSignature.optional(),
});

export type ModelManifest = z.infer<typeof modelManifest>;
export type ManifestInput = z.infer<typeof manifestInput>;
export type ManifestOutput = z.infer<typeof manifestOutput>;
