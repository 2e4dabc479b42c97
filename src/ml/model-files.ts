import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FatalError } from '../core/errors';
import { modelManifest, type ModelManifest, type ManifestInput } from '../models/manifest';
import { readManifest } from '../models/manifest-io';

export type ManifestDraft = Omit<ModelManifest, 'sha256' | 'file'> & { file?: string };

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes `model.onnx`, `manifest.json` (validated against the pipeline's zod schema, with the
 * file's sha256) and, when given, `MODEL_CARD.md` into `dir`. Returns the validated manifest.
 */
export function writeModelDir(dir: string, onnx: Uint8Array, draft: ManifestDraft, card?: string): ModelManifest {
  const manifest = buildManifest(onnx, draft, `${dir}/manifest.json`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, manifest.file), onnx);
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  if (card !== undefined) writeFileSync(join(dir, 'MODEL_CARD.md'), card);
  return manifest;
}

/** The validated manifest for an ONNX file (with its sha256), without writing anything. */
export function buildManifest(onnx: Uint8Array, draft: ManifestDraft, subject = `model ${draft.id}`): ModelManifest {
  const parsed = modelManifest.safeParse({ ...draft, file: draft.file ?? 'model.onnx', sha256: sha256Hex(onnx) });
  if (!parsed.success) throw new FatalError(subject, `invalid manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * The manifest draft of a compressed variant in `<parent>/variants/<name>/`: the parent's inputs,
 * outputs, normalization and training block, its own id, metrics and (recalibrated variants)
 * thresholds. Both training pipelines and `quantize` write variants through it.
 */
export function variantDraft(parent: ManifestDraft | ModelManifest, name: string, metrics: Record<string, number>, thresholds: ModelManifest['thresholds'] = parent.thresholds): ManifestDraft {
  const { sha256: _sha, file: _file, signature: _sig, metrics: _metrics, ...rest } = parent as Partial<ModelManifest> & ManifestDraft;
  return { ...rest, id: `${parent.id}-${name}`, description: `${name} variant of ${parent.id} (see ../../MODEL_CARD.md)`, thresholds, metrics };
}

/** Reads a model directory: the manifest (validated by readManifest) and the ONNX file, checked against its sha256. */
export function readModelDir(dir: string): { manifest: ModelManifest; onnx: Uint8Array } {
  const { manifest } = readManifest(dir);
  const onnx = readFileSync(join(dir, manifest.file));
  const sha = sha256Hex(onnx);
  if (sha !== manifest.sha256) throw new FatalError(join(dir, manifest.file), `sha256 ${sha} does not match the manifest's ${manifest.sha256}`);
  return { manifest, onnx };
}

/** The `frames` input every shipped model declares: [batch, window, channels], named `x`. */
export function framesInput(window: number, channels: readonly string[], normalization: ManifestInput['normalization']): ManifestInput {
  return { name: 'x', layout: 'frames', dtype: 'float32', shape: [-1, window, channels.length], channels: [...channels], frames: window, normalization };
}
