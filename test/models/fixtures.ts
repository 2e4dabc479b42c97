import { createHash, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxGraphBuilder, intsAttr } from '../../src/ml/onnx';
import { generateSigningKey, readPrivateKey, signManifest } from '../../src/models/signing';

/** Real ONNX graphs written with the project's own writer (src/ml/onnx), small enough to reason about. */

/** score = scale * mean over the window of the (normalized) input, [-1, frames, channels] -> [-1]. */
export function meanModel(frames: number, channels: number, opts: { scale?: number; sqrt?: boolean; graphFrames?: number; fixedBatch?: number } = {}): Uint8Array {
  const g = new OnnxGraphBuilder('mean');
  g.input('x', [opts.fixedBatch ?? -1, opts.graphFrames ?? frames, channels]);
  const m = g.op('ReduceMean', ['x'], { axes: intsAttr([1, 2]), keepdims: 0 });
  let y = g.op('Mul', [m, g.floats('k', [opts.scale ?? 1], [])]);
  if (opts.sqrt) y = g.op('Sqrt', [y]);
  g.node('Identity', [y], ['score']);
  g.output('score', [opts.fixedBatch ?? -1]);
  return g.toModelBytes({ opset: 17 });
}

/** A run long enough to matter (an n x n matrix product per window; n = 1200: ~60 ms here): x [-1, n, n] -> score [-1] = mean(x . x). */
export function slowModel(n = 1200): Uint8Array {
  const g = new OnnxGraphBuilder('slow');
  g.input('x', [-1, n, n]);
  g.node('MatMul', ['x', 'x'], ['y']);
  g.node('ReduceMean', ['y'], ['score'], { axes: intsAttr([1, 2]), keepdims: 0 });
  g.output('score', [-1]);
  return g.toModelBytes({ opset: 17 });
}

/** score = w . features, [-1, k] -> [-1, 1]. */
export function linearModel(weights: readonly number[]): Uint8Array {
  const g = new OnnxGraphBuilder('linear');
  g.input('f', [-1, weights.length]);
  g.node('MatMul', ['f', g.floats('w', weights, [weights.length, 1])], ['score']);
  g.output('score', [-1, 1]);
  return g.toModelBytes({ opset: 17 });
}

/** Reconstruction = 0.5 * input (an "autoencoder" whose error grows with the input). */
export function halfModel(frames: number, channels: number): Uint8Array {
  const g = new OnnxGraphBuilder('half');
  g.input('x', [-1, frames, channels]);
  g.node('Mul', ['x', g.floats('h', [0.5], [])], ['recon']);
  g.output('recon', [-1, frames, channels]);
  return g.toModelBytes({ opset: 17 });
}

export interface ModelSpec {
  id: string;
  version: string;
  kind?: 'anomaly' | 'rul';
  bytes: Uint8Array;
  manifest?: Record<string, unknown>;
}

export function framesManifest(s: ModelSpec, frames: number, channels: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: s.id, version: s.version, kind: s.kind ?? 'anomaly', sha256: sha256(s.bytes),
    inputs: [{ name: 'x', layout: 'frames', shape: [-1, frames, channels.length], channels, frames }],
    outputs: [{ name: 'score', meaning: s.kind === 'rul' ? 'rul' : 'anomaly-score' }],
    thresholds: { anomaly: 5 },
    ...extra,
  };
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Writes model.onnx + manifest.json into dir, signed with `key` unless null. */
export function writeModel(dir: string, bytes: Uint8Array, manifest: Record<string, unknown>, key: KeyObject | null): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), bytes);
  const m = { ...manifest };
  if (key) m.signature = signManifest(m, key);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
  return dir;
}

export interface Sandbox {
  readonly root: string;
  readonly shipped: string;
  readonly install: string;
  readonly keys: string;
  readonly key: KeyObject;
  readonly strangerKey: KeyObject;
  cleanup(): void;
}

/** A temporary registry: shipped root (with trusted/ holding the project key), install root, and a stranger's key. */
export function sandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'pdm-models-'));
  const shipped = join(root, 'models');
  const install = join(root, 'data', 'models');
  const keys = join(root, 'keys');
  mkdirSync(join(shipped, 'trusted'), { recursive: true });
  mkdirSync(keys, { recursive: true });
  const k = generateSigningKey(join(shipped, 'trusted'), 'project');
  const s = generateSigningKey(keys, 'stranger');
  return {
    root, shipped, install, keys,
    key: readPrivateKey(k.privateKeyPath),
    strangerKey: readPrivateKey(s.privateKeyPath),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
