/**
 * Minimal tensors for training: a flat typed array plus a row-major shape whose first axis is the
 * batch. Training uses float32 (what ONNX runs); gradient checks use float64 so that finite
 * differences are meaningful. A model never mixes the two, which keeps V8's loops monomorphic.
 */
export type Dtype = 'float32' | 'float64';
export type FArray = Float32Array | Float64Array;

export interface Tensor {
  data: FArray;
  /** Row-major; shape[0] is the batch. */
  shape: number[];
}

export function alloc(dtype: Dtype, n: number): FArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Reuses `buf` when it already has `n` elements (layers keep their output buffers between batches). */
export function ensure(buf: FArray | undefined, dtype: Dtype, n: number): FArray {
  return buf && buf.length === n ? buf : alloc(dtype, n);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
