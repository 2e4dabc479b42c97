import type { OnnxGraphBuilder } from './onnx';

/**
 * Symmetric int8 quantization with one scale per output channel: scale = max|w| / 127 over the
 * channel, q = round(w / scale). `channelOf(i)` maps a flat index to its output channel.
 */
export function quantizeSymmetric(w: Float32Array, channels: number, channelOf: (i: number) => number): { q: Int8Array; scale: Float32Array } {
  const max = new Float32Array(channels);
  for (let i = 0; i < w.length; i++) max[channelOf(i)] = Math.max(max[channelOf(i)]!, Math.abs(w[i]!));
  const scale = max.map((m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / scale[channelOf(i)]!)));
  return { q, scale };
}

/**
 * Weight-only int8 (QDQ): the initializer is stored as int8 with per-output-channel scales
 * (axis 0) and DequantizeLinear restores float32 for the consumer (used for Conv: onnxruntime's
 * ConvInteger takes uint8 weights only, and a QLinearConv would need static activation scales).
 */
export function int8Weights(g: OnnxGraphBuilder, name: string, w: Float32Array, dims: readonly number[]): string {
  const per = w.length / dims[0]!;
  const { q, scale } = quantizeSymmetric(w, dims[0]!, (i) => Math.floor(i / per));
  const qn = g.initializer(`${name}_q`, q, dims);
  const sn = g.initializer(`${name}_scale`, scale, [dims[0]!]);
  const zn = g.initializer(`${name}_zero`, new Int8Array(dims[0]!), [dims[0]!]);
  return g.op('DequantizeLinear', [qn, sn, zn], { axis: 0 }, `${name}_dq`);
}

/**
 * Integer matrix product for a dense layer: activations are quantized on the fly to uint8
 * (DynamicQuantizeLinear), weights are stored int8 with one scale per output column, the product
 * runs in MatMulInteger (int32 accumulators), then y = int32 * (x_scale * w_scale) + b.
 */
export function int8MatMul(g: OnnxGraphBuilder, x: string, name: string, w: Float32Array, inF: number, units: number, bias: Float32Array): string {
  const { q, scale } = quantizeSymmetric(w, units, (i) => i % units);
  const [xq, xs, xz] = g.node('DynamicQuantizeLinear', [x], [g.unique(`${name}_xq`), g.unique(`${name}_xs`), g.unique(`${name}_xz`)]);
  const wq = g.initializer(`${name}_q`, q, [inF, units]);
  const acc = g.op('MatMulInteger', [xq!, wq, xz!], {}, `${name}_mmi`);
  const accF = g.op('Cast', [acc], { to: 1 }, `${name}_f`);
  const s = g.op('Mul', [xs!, g.initializer(`${name}_scale`, scale, [units])], {}, `${name}_s`);
  const y = g.op('Mul', [accF, s], {}, `${name}_scaled`);
  return g.op('Add', [y, g.initializer(`${name}_bias`, bias, [units])], {}, `${name}_add`);
}
