import type { OnnxGraphBuilder } from '../onnx';
import type { Rng } from '../rng';
import type { Dtype, FArray, Tensor } from '../tensor';

/** A trainable array and its gradient (same length); `decay` says whether AdamW decays it. */
export interface Param {
  name: string;
  value: FArray;
  grad: FArray;
  shape: number[];
  decay: boolean;
}

/**
 * Where a value lives in the exported graph. The TS layers are channels-last ([N, T, C]), as the
 * manifest's `frames` layout is; ONNX Conv wants channels-first ([N, C, T]). Consecutive
 * convolutions stay channels-first in the graph and only switch back where a layer needs it.
 */
export type OnnxLayout = 'NTC' | 'NCT' | 'flat';
export interface OnnxValue {
  name: string;
  layout: OnnxLayout;
}

export interface ExportOptions {
  /** Int8 weights with per-output-channel scales (see quantize.ts); float32 when absent. */
  int8?: boolean;
}

export interface Layer {
  readonly type: string;
  /** Allocates parameters for a per-sample input shape (no batch axis); returns the output shape. */
  build(inShape: readonly number[], rng: Rng, dtype: Dtype, prefix: string): number[];
  /**
   * Forward pass. The returned tensor is a buffer the layer reuses on its next call: read it (or
   * hand it to the next layer) before calling forward again.
   */
  forward(x: Tensor, training: boolean): Tensor;
  /** Backward pass after a training forward: writes (overwrites) parameter gradients, returns dL/dx. */
  backward(dy: Tensor): Tensor;
  params(): Param[];
  /** Appends this layer's ONNX nodes reading `x`; returns the value it produced. */
  exportOnnx(g: OnnxGraphBuilder, x: OnnxValue, opts?: ExportOptions): OnnxValue;
  /** Serializable description, enough to rebuild the layer (weights travel separately). */
  spec(): LayerSpec;
  /** Loads the parameters back from the initializers this layer exported (their ONNX layout). */
  importOnnx(initializer: (name: string) => Float32Array): void;
}

export type Activation = 'relu' | 'leaky-relu' | 'tanh' | 'sigmoid' | 'linear';
export type Init = 'glorot' | 'he';

export type LayerSpec =
  | { type: 'dense'; units: number; init?: Init }
  | { type: 'conv1d'; filters: number; kernel: number; padding?: 'same' | 'valid'; init?: Init }
  | { type: 'gru'; units: number; sequences?: boolean }
  | { type: 'activation'; fn: Activation; alpha?: number }
  | { type: 'dropout'; rate: number }
  | { type: 'gaussian-noise'; std: number }
  | { type: 'flatten' }
  | { type: 'global-avg-pool' }
  | { type: 'exp-smooth'; alpha: number }
  | { type: 'last-steps'; steps: number }
  | { type: 'reshape'; shape: number[] };

export function param(name: string, value: FArray, shape: number[], decay: boolean): Param {
  return { name, value, grad: value instanceof Float64Array ? new Float64Array(value.length) : new Float32Array(value.length), shape, decay };
}

/** Glorot (Xavier) uniform or He normal initialization. */
export function initWeights(w: FArray, fanIn: number, fanOut: number, init: Init, rng: Rng): void {
  if (init === 'he') {
    const std = Math.sqrt(2 / fanIn);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
  } else {
    const lim = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-lim, lim);
  }
}

/** Converts a graph value to channels-last (or leaves it), adding a Transpose only when needed. */
export function toNTC(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
  if (x.layout !== 'NCT') return x;
  return { name: g.op('Transpose', [x.name], { perm: [0, 2, 1] }, 'to_ntc'), layout: 'NTC' };
}

export function toNCT(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
  if (x.layout === 'NCT') return x;
  if (x.layout !== 'NTC') throw new Error(`a 1-D convolution needs a [N, T, C] input, got a flat one (${x.name})`);
  return { name: g.op('Transpose', [x.name], { perm: [0, 2, 1] }, 'to_nct'), layout: 'NCT' };
}

/** Copies an exported initializer into a parameter, checking its length. */
export function loadParam(p: Param, data: Float32Array): void {
  if (data.length !== p.value.length) throw new Error(`parameter ${p.name}: expected ${p.value.length} values, the model file has ${data.length}`);
  p.value.set(data);
}

/** Float32 copy of a parameter for export (ONNX runs float32 whatever the training dtype). */
export function f32(a: FArray): Float32Array {
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

export function shapeError(layer: string, expected: string, got: readonly number[]): Error {
  return new Error(`${layer}: expected an input of shape ${expected}, got [${got.join(', ')}]`);
}
