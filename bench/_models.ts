/**
 * The two model shapes of the inference bench, built with the project's ONNX writer (random
 * weights: the bench measures time, not accuracy). Shaped like the shipped models.
 */
import { OnnxGraphBuilder, intsAttr } from '../src/ml/onnx';

/** Frames per window of both models. */
export const WINDOW = 30;

export interface BenchModel {
  readonly bytes: Uint8Array;
  /** The output that scores a window. */
  readonly output: string;
  readonly meaning: 'rul' | 'reconstruction';
}

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

function weights(r: () => number, n: number, fanIn: number): Float32Array {
  const k = Math.sqrt(2 / fanIn);
  return Float32Array.from({ length: n }, () => 2 * r() * k);
}

/** The C-MAPSS RUL teacher shape (Li et al. DCNN): 3 x Conv(12, k10) + Conv(1, k3) over [30, 14], dense 64, 1. */
export function dcnn(channels: number): BenchModel {
  const r = rng(7);
  const g = new OnnxGraphBuilder('dcnn');
  g.input('x', [-1, WINDOW, channels]);
  let h = g.op('Transpose', ['x'], { perm: intsAttr([0, 2, 1]) });
  let c = channels;
  let t = WINDOW;
  for (const [filters, kernel] of [[12, 10], [12, 10], [12, 10], [1, 3]]) {
    const w = g.initializer(g.unique('w'), weights(r, filters * c * kernel, c * kernel), [filters, c, kernel]);
    const b = g.floats('b', new Float32Array(filters));
    h = g.op('Relu', [g.op('Conv', [h, w, b], { pads: intsAttr([Math.floor((kernel - 1) / 2), Math.ceil((kernel - 1) / 2)]) })]);
    c = filters;
  }
  h = g.op('Flatten', [h]);
  const w1 = g.initializer('w_d1', weights(r, t * 64, t), [t, 64]);
  h = g.op('Relu', [g.op('Gemm', [h, w1, g.floats('b_d1', new Float32Array(64))])]);
  const w2 = g.initializer('w_d2', weights(r, 64, 64), [64, 1]);
  g.node('Gemm', [h, w2, g.floats('b_d2', [100])], ['rul']);
  g.output('rul', [-1, 1]);
  t = 0;
  return { bytes: g.toModelBytes({ opset: 17 }), output: 'rul', meaning: 'rul' };
}

/** The SKAB autoencoder shape: flatten [30, 8] -> 64 -> 12 (tanh) -> 64 -> 240, reshaped back. */
export function autoencoder(channels: number): BenchModel {
  const r = rng(11);
  const g = new OnnxGraphBuilder('ae');
  g.input('x', [-1, WINDOW, channels]);
  let h = g.op('Flatten', ['x']);
  const n = WINDOW * channels;
  for (const [i, [from, to, act]] of ([[n, 64, 'Relu'], [64, 12, 'Tanh'], [12, 64, 'Relu'], [64, n, '']] as const).entries()) {
    const w = g.initializer(`w${i}`, weights(r, from * to, from), [from, to]);
    h = g.op('Gemm', [h, w, g.floats(`b${i}`, new Float32Array(to))]);
    if (act) h = g.op(act, [h]);
  }
  g.node('Reshape', [h, g.int64s('shape', [-1, WINDOW, channels])], ['recon']);
  g.output('recon', [-1, WINDOW, channels]);
  return { bytes: g.toModelBytes({ opset: 17 }), output: 'recon', meaning: 'reconstruction' };
}
