/** @jest-environment ./test/ml/ort-environment.js */
import { readOnnxModel } from '../../src/ml/onnx';
import { OrtModel } from '../../src/ml/ort-predict';
import { applyMasks, magnitudePrune, sparsity } from '../../src/ml/prune';
import { INT8_REDUCED_MAX, quantizeDenseWeights, quantizeSymmetric } from '../../src/ml/quantize';
import { distillationSet } from '../../src/ml/distill';
import { Rng } from '../../src/ml/rng';
import { Sequential } from '../../src/ml/sequential';
import type { LayerSpec } from '../../src/ml/layers';

const SPECS: LayerSpec[] = [
  { type: 'conv1d', filters: 8, kernel: 5 },
  { type: 'activation', fn: 'relu' },
  { type: 'flatten' },
  { type: 'dense', units: 16 },
  { type: 'activation', fn: 'relu' },
  { type: 'dense', units: 3 },
];

describe('compression', () => {
  it('int8 export (per-channel DequantizeLinear for Conv, MatMulInteger for Dense) runs in onnxruntime close to float', async () => {
    const model = new Sequential(SPECS, [12, 4], { seed: 2 });
    const rng = new Rng(3);
    const x = Float32Array.from({ length: 64 * 48 }, () => rng.normal());
    const expected = model.predict(x);
    const bytes = model.toOnnx({ int8: true });
    const ops = readOnnxModel(bytes).nodes.map((n) => n.opType);
    expect(ops).toEqual(expect.arrayContaining(['DequantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'Conv']));
    expect(ops).not.toContain('MatMul');
    const ort = await OrtModel.load(bytes);
    const got = await ort.run(x, [12, 4], 64);
    await ort.release();
    let err = 0;
    let norm = 0;
    for (let i = 0; i < got.length; i++) {
      err += (got[i]! - expected[i]!) ** 2;
      norm += expected[i]! ** 2;
    }
    // Relative RMS error of an int8 network with dynamic activation quantization: a few percent.
    expect(Math.sqrt(err / norm)).toBeLessThan(0.05);
    expect(bytes.length).toBeLessThan(model.toOnnx().length * 0.5);
  });

  it('quantizeSymmetric uses one scale per channel and maps each channel maximum to 127', () => {
    const w = Float32Array.from([0.5, -1, 0.25, 10, -5, 2.5]);
    const { q, scale } = quantizeSymmetric(w, 2, (i) => Math.floor(i / 3));
    expect(Array.from(scale)).toEqual([Math.fround(1 / 127), Math.fround(10 / 127)]);
    expect(Array.from(q)).toEqual([64, -127, 32, 127, -64, 32]);
  });

  it('dense weights for MatMulInteger use 7 bits (±63) per output column, so u8 x s8 pair sums fit in int16', () => {
    // [inF 3, units 2]: column 0 = 0.5, 10, -4; column 1 = -1, 2.5, 0.25.
    const w = Float32Array.from([0.5, -1, 10, 2.5, -4, 0.25]);
    const { q, scale } = quantizeDenseWeights(w, 2);
    expect(Array.from(scale)).toEqual([Math.fround(10 / 63), Math.fround(2.5 / 63)]);
    expect(Array.from(q)).toEqual([3, -25, 63, 63, -25, 6]);
    expect(2 * 255 * INT8_REDUCED_MAX).toBeLessThanOrEqual(32767);
  });

  it('magnitude pruning zeroes weights under lambda * max|w| per tensor, keeps biases, and masks survive updates', () => {
    const model = new Sequential(SPECS, [12, 4], { seed: 4 });
    const before = model.params().map((p) => p.value.slice());
    const pm = magnitudePrune(model, 0.3);
    const s = sparsity(model);
    expect(s).toBeGreaterThan(0.2);
    expect(s).toBeLessThan(0.8);
    model.params().forEach((p, k) => {
      let max = 0;
      before[k]!.forEach((v) => (max = Math.max(max, Math.abs(v))));
      p.value.forEach((v, i) => {
        if (!p.decay) expect(v).toBe(before[k]![i]);
        else if (Math.abs(before[k]![i]!) < 0.3 * max) expect(v).toBe(0);
        else expect(v).toBe(before[k]![i]);
      });
    });
    for (const p of model.params()) p.value.fill(1);
    applyMasks(pm);
    expect(sparsity(model)).toBeCloseTo(s, 10);
  });

  it('distillation targets are the teacher outputs, optionally blended with labels', () => {
    const teacher = new Sequential([{ type: 'dense', units: 1 }], [2], { seed: 1 });
    const x = Float32Array.from([1, 2, 3, 4]);
    const t = teacher.predict(x);
    expect(Array.from(distillationSet(teacher, x).y)).toEqual(Array.from(t));
    const blended = distillationSet(teacher, x, Float32Array.from([10, 20]), 0.25);
    expect(blended.n).toBe(2);
    expect(blended.y[1]).toBeCloseTo(0.25 * t[1]! + 0.75 * 20, 5);
  });
});
