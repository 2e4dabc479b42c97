/**
 * The models of the inference bench and the folders the ModelService loads them from: two built
 * in the bench (random weights, signed with a key made for the run) and the two shipped ones
 * (models/cmapss-rul, models/skab-anomaly, signed by the project key in models/trusted).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readManifest } from '../src/models/manifest-io';
import { generateSigningKey, readPrivateKey, signManifest } from '../src/models/signing';
import { autoencoder, dcnn, WINDOW } from './_models';

export interface BenchCase {
  readonly name: string;
  /** The model id asset configs bind. */
  readonly id: string;
  readonly kind: 'rul' | 'anomaly';
  /** Model channel names, in the model's order (also the asset's channels). */
  readonly channels: readonly string[];
  readonly frames: number;
  readonly bytes: Uint8Array;
  /** Folder holding <id>/manifest.json + model and trusted/ (the ModelService's modelsDir). */
  readonly modelsDir: string;
  /** Per channel: centre and spread of the bench's input values (the model's normalization). */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** Frames the model needs before it scores (baseline calibration), else 0. */
  readonly calibrationFrames: number;
}

/** The shipped models folder of this repository (bench/ and dist/bench/ both find it). */
export function shippedModelsDir(): string {
  for (const up of ['..', '../..']) {
    const dir = resolve(__dirname, up, 'models');
    try {
      readManifest(join(dir, 'cmapss-rul'));
      return dir;
    } catch {
      // not this level
    }
  }
  throw new Error(`no shipped models found above ${__dirname} (models/cmapss-rul)`);
}

/** A bench-built model, written with its signed manifest under `root`. */
export function builtCase(root: string, name: 'dcnn' | 'ae'): BenchCase {
  const channelCount = name === 'dcnn' ? 14 : 8;
  const model = name === 'dcnn' ? dcnn(channelCount) : autoencoder(channelCount);
  const kind = name === 'dcnn' ? 'rul' : 'anomaly';
  const channels = Array.from({ length: channelCount }, (_, i) => `c${i}`);
  const modelsDir = join(root, `models-${name}`);
  mkdirSync(join(modelsDir, 'trusted'), { recursive: true });
  const key = generateSigningKey(join(modelsDir, 'trusted'), 'bench');
  const manifest: Record<string, unknown> = {
    id: name, version: '1.0.0', kind, sha256: createHash('sha256').update(model.bytes).digest('hex'),
    inputs: [{ name: 'x', layout: 'frames', shape: [-1, WINDOW, channelCount], channels, frames: WINDOW, normalization: { type: 'zscore', mean: channels.map(() => 0), std: channels.map(() => 1) } }],
    outputs: [{ name: model.output, meaning: model.meaning }],
    thresholds: kind === 'rul' ? { rulWarn: 50, rulAlarm: 20 } : { anomaly: 1 },
  };
  manifest.signature = signManifest(manifest, readPrivateKey(key.privateKeyPath));
  mkdirSync(join(modelsDir, name));
  writeFileSync(join(modelsDir, name, 'model.onnx'), model.bytes);
  writeFileSync(join(modelsDir, name, 'manifest.json'), JSON.stringify(manifest));
  return { name, id: name, kind, channels, frames: WINDOW, bytes: model.bytes, modelsDir, mean: channels.map(() => 0), std: channels.map(() => 0.25), calibrationFrames: 0 };
}

/** A shipped model as it is, loaded from the repository's models folder. */
export function shippedCase(id: 'cmapss-rul' | 'skab-anomaly'): BenchCase {
  const modelsDir = shippedModelsDir();
  const { manifest } = readManifest(join(modelsDir, id));
  const input = manifest.inputs[0];
  const norm = input.normalization;
  if (input.layout !== 'frames' || !input.channels || !input.frames) throw new Error(`bench: ${id} does not read frames`);
  if (norm.type !== 'zscore' && norm.type !== 'baseline') throw new Error(`bench: ${id} normalization ${norm.type} has no mean/std`);
  const bytes = readFileSync(join(modelsDir, id, manifest.file));
  return {
    name: id, id, kind: manifest.kind, channels: input.channels, frames: input.frames, bytes, modelsDir,
    // Values around the training statistics (within one std), so outputs stay in their range.
    mean: norm.mean ?? input.channels.map(() => 0), std: (norm.std ?? input.channels.map(() => 1)).map((s) => s * 0.5),
    calibrationFrames: norm.type === 'baseline' ? norm.frames : 0,
  };
}
