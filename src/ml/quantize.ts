import type { OnnxGraphBuilder } from './onnx';

/** Full int8 range: weights that are dequantized to float before use (no integer kernel involved). */
export const INT8_MAX = 127;

/**
 * Weights fed to an integer product with uint8 activations use 7 bits (±63), the "reduce range"
 * of onnxruntime's own quantizer. Why: onnxruntime's u8s8 kernels on x86 AVX2 without VNNI
 * (vpmaddubsw) add each pair of u8 x s8 products in a saturating int16. With full-range weights a
 * pair reaches 2 x 255 x 127 = 64,770 > 32,767 and saturates silently (the audit saw dense-layer
 * outputs off by up to 1.19 where the exact integer product is within 0.022 of float32). With
 * ±63 a pair is at most 2 x 255 x 63 = 32,130, which fits, so the integer product is exact on
 * every kernel (AVX2, AVX-VNNI, AVX-512, NEON) at the price of one bit of weight precision.
 */
export const INT8_REDUCED_MAX = 63;

/**
 * Symmetric quantization with one scale per output channel: scale = max|w| / qmax over the
 * channel, q = round(w / scale) in [-qmax, qmax]. `channelOf(i)` maps a flat index to its channel.
 */
export function quantizeSymmetric(w: Float32Array, channels: number, channelOf: (i: number) => number, qmax = INT8_MAX): { q: Int8Array; scale: Float32Array } {
  const max = new Float32Array(channels);
  for (let i = 0; i < w.length; i++) max[channelOf(i)] = Math.max(max[channelOf(i)]!, Math.abs(w[i]!));
  const scale = max.map((m) => (m > 0 ? m / qmax : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-qmax, Math.min(qmax, Math.round(w[i]! / scale[channelOf(i)]!)));
  return { q, scale };
}

/**
 * Weight-only int8 (QDQ): the initializer is stored as int8 with per-output-channel scales
 * (axis 0) and DequantizeLinear restores float32 for the consumer (used for Conv: onnxruntime's
 * ConvInteger takes uint8 weights only, and a QLinearConv would need static activation scales).
 * Full range: the product runs in float, so no int16 pair sum can saturate.
 */
export function int8Weights(g: OnnxGraphBuilder, name: string, w: Float32Array, dims: readonly number[]): string {
  const per = w.length / dims[0]!;
  const { q, scale } = quantizeSymmetric(w, dims[0]!, (i) => Math.floor(i / per));
  const qn = g.initializer(`${name}_q`, q, dims);
  const sn = g.initializer(`${name}_scale`, scale, [dims[0]!]);
  const zn = g.initializer(`${name}_zero`, new Int8Array(dims[0]!), [dims[0]!]);
  return g.op('DequantizeLinear', [qn, sn, zn], { axis: 0 }, `${name}_dq`);
}

/** The model cards' note on the int8 variant. */
export const INT8_NOTE = 'int8 weights, per-channel scales (dense layers 7-bit, ±63)';

/** The weights of a dense layer as `int8MatMul` stores them: [inF, units] int8 in ±63, one scale per column. */
export function quantizeDenseWeights(w: Float32Array, units: number): { q: Int8Array; scale: Float32Array } {
  return quantizeSymmetric(w, units, (i) => i % units, INT8_REDUCED_MAX);
}

/**
 * Integer matrix product for a dense layer: activations are quantized on the fly to uint8
 * (DynamicQuantizeLinear), weights are stored int8 in ±63 (see INT8_REDUCED_MAX) with one scale
 * per output column, the product runs in MatMulInteger (int32 accumulators), then
 * y = int32 * (x_scale * w_scale) + b.
 */
export function int8MatMul(g: OnnxGraphBuilder, x: string, name: string, w: Float32Array, inF: number, units: number, bias: Float32Array): string {
  const { q, scale } = quantizeDenseWeights(w, units);
  const [xq, xs, xz] = g.node('DynamicQuantizeLinear', [x], [g.unique(`${name}_xq`), g.unique(`${name}_xs`), g.unique(`${name}_xz`)]);
  const wq = g.initializer(`${name}_q`, q, [inF, units]);
  const acc = g.op('MatMulInteger', [xq!, wq, xz!], {}, `${name}_mmi`);
  const accF = g.op('Cast', [acc], { to: 1 }, `${name}_f`);
  const s = g.op('Mul', [xs!, g.initializer(`${name}_scale`, scale, [units])], {}, `${name}_s`);
  const y = g.op('Mul', [accF, s], {}, `${name}_scaled`);
  return g.op('Add', [y, g.initializer(`${name}_bias`, bias, [units])], {}, `${name}_add`);
}
