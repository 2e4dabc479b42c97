/** @jest-environment ./test/ml/ort-environment.js */
import { readOnnxModel } from '../../src/ml/onnx';
import { OrtModel } from '../../src/ml/ort-predict';
import { Rng } from '../../src/ml/rng';
import { Sequential } from '../../src/ml/sequential';
import { exactInt8Dense } from './int8-exact';

/**
 * onnxruntime's u8s8 MatMulInteger on x86 AVX2 without VNNI sums pairs of u8 x s8 products in a
 * saturating int16 (vpmaddubsw). Inputs that are all large and positive quantize to uint8 near
 * 255; weights of one sign near the column maximum quantize to the top of the int8 range. With
 * ±127 weights such a pair is 64,770 and saturates; the exported graph must give the exact
 * integer product anyway.
 */
describe('int8 dense layer (MatMulInteger) in onnxruntime', () => {
  const inF = 32;
  const units = 4;
  const rows = 64;

  function saturatingCase(seed: number): { model: Sequential; x: Float32Array } {
    const model = new Sequential([{ type: 'dense', units }], [inF], { seed });
    const rng = new Rng(seed);
    const [W, b] = model.params();
    // Column u: weights of sign (-1)^u, all within 10% of the column maximum.
    W!.value.forEach((_, i) => (W!.value[i] = (i % units) % 2 ? -(rng.uniform(0.9, 1)) : rng.uniform(0.9, 1)));
    b!.value.forEach((_, i) => (b!.value[i] = rng.normal()));
    // Large activations: most rows all positive near the maximum, a few mixed.
    const x = Float32Array.from({ length: rows * inF }, (_, i) => (Math.floor(i / inF) % 8 === 7 ? 40 * rng.normal() : rng.uniform(80, 100)));
    return { model, x };
  }

  it.each([1, 2, 3])('equals an exact integer simulation of the same quantized graph on inputs that saturate int16 pair sums (seed %i)', async (seed) => {
    const { model, x } = saturatingCase(seed);
    const bytes = model.toOnnx({ int8: true });
    const wq = readOnnxModel(bytes).initializers.get('l0_dense_W_q')!.data as Int8Array;
    // Weights near ±max in every column: the case that overflowed before.
    expect(Math.min(...Array.from(wq, Math.abs))).toBeGreaterThanOrEqual(0.85 * Math.max(...Array.from(wq, Math.abs)));
    const ort = await OrtModel.load(bytes);
    const got = await ort.run(x, [inF], rows);
    await ort.release();
    const exact = exactInt8Dense(bytes, 'l0_dense_W', x, rows);
    let worst = 0;
    let norm = 0;
    for (let i = 0; i < exact.length; i++) norm = Math.max(norm, Math.abs(exact[i]!));
    for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(got[i]! - exact[i]!) / norm);
    expect(worst).toBeLessThan(1e-5);
    // And the exact integer graph is close to float32 (only rounding of weights and activations).
    const float = model.predict(x);
    let err = 0;
    for (let i = 0; i < float.length; i++) err = Math.max(err, Math.abs(exact[i]! - float[i]!) / norm);
    expect(err).toBeLessThan(0.02);
  });
});
