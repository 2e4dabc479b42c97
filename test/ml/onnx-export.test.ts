/** @jest-environment ./test/ml/ort-environment.js */
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder, readOnnxModel } from '../../src/ml/onnx';
import { Rng } from '../../src/ml/rng';
import { Sequential } from '../../src/ml/sequential';
import { sizeOf } from '../../src/ml/tensor';
import { LAYER_CASES } from './fixtures';

async function runOnnx(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<ort.Tensor> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    return (await s.run({ x: new ort.Tensor('float32', x, dims) })).y as ort.Tensor;
  } finally {
    await s.release();
  }
}

describe('ONNX export matches the TypeScript forward pass (onnxruntime-node, 1e-5)', () => {
  for (const c of LAYER_CASES) {
    it(c.name, async () => {
      const model = new Sequential(c.specs, c.inShape, { seed: 7 });
      const rng = new Rng(8);
      // Biases start at zero; random ones make a dropped, misplaced or mis-broadcast bias visible.
      const biases = model.params().filter((p) => !p.decay);
      expect(biases).toHaveLength(c.specs.filter((s) => s.type === 'dense' || s.type === 'conv1d' || s.type === 'gru').length);
      for (const b of biases) b.value.forEach((_, i) => (b.value[i] = rng.normal()));
      const batch = 7;
      const x = Float32Array.from({ length: batch * sizeOf(c.inShape) }, () => rng.normal());
      const expected = model.predict(x);
      const y = await runOnnx(model.toOnnx({ opset: 17 }), x, [batch, ...c.inShape]);
      expect(y.dims).toEqual([batch, ...model.outShape]);
      const got = y.data as Float32Array;
      expect(got.length).toBe(expected.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
      expect(worst).toBeLessThan(1e-5);
    });
  }

  it('a model rebuilt from its ONNX file predicts exactly what the original did', () => {
    const c = LAYER_CASES.find((k) => k.name.startsWith('flatten after conv'))!;
    const model = new Sequential(c.specs, c.inShape, { seed: 9 });
    const rng = new Rng(1);
    for (const b of model.params().filter((p) => !p.decay)) b.value.forEach((_, i) => (b.value[i] = rng.normal()));
    const rebuilt = Sequential.fromOnnx(model.toOnnx());
    rebuilt.params().forEach((p, k) => expect(Array.from(p.value)).toEqual(Array.from(model.params()[k]!.value)));
    const x = Float32Array.from({ length: 4 * sizeOf(c.inShape) }, () => rng.normal());
    expect(Array.from(rebuilt.predict(x))).toEqual(Array.from(model.predict(x)));
    expect(rebuilt.specs).toEqual(model.specs);
    expect(rebuilt.inShape).toEqual(c.inShape);
  });

  it('keeps consecutive convolutions channels-first: one Transpose in, one out', () => {
    const model = new Sequential([{ type: 'conv1d', filters: 4, kernel: 3 }, { type: 'activation', fn: 'relu' }, { type: 'conv1d', filters: 4, kernel: 3 }, { type: 'conv1d', filters: 2, kernel: 3 }], [10, 3]);
    const ops = readOnnxModel(model.toOnnx()).nodes.map((n) => n.opType);
    expect(ops).toEqual(['Transpose', 'Conv', 'Relu', 'Conv', 'Conv', 'Transpose', 'Identity']);
  });

  it('refuses, naming the graph, to load an ONNX model that has no training metadata', () => {
    const g = new OnnxGraphBuilder('foreign');
    g.input('x', [-1, 2]);
    g.node('Relu', ['x'], ['y']);
    g.output('y', [-1, 2]);
    expect(() => Sequential.fromOnnx(g.toModelBytes())).toThrow('ONNX model foreign: no pdm-gateway.layers metadata');
  });
});
