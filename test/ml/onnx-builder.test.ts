/** @jest-environment ./test/ml/ort-environment.js */
import * as ort from 'onnxruntime-node';
import { floatAttr, OnnxGraphBuilder, readOnnxModel } from '../../src/ml/onnx';

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return (await session.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

describe('OnnxGraphBuilder', () => {
  it('builds a dense layer (MatMul, Add, Relu) that onnxruntime runs with the expected numbers', async () => {
    const g = new OnnxGraphBuilder('dense');
    g.input('x', [-1, 3]);
    g.initializer('W', Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
    g.initializer('b', Float32Array.from([0.5, -100]), [2]);
    g.node('MatMul', ['x', 'W'], ['xw']);
    g.node('Add', ['xw', 'b'], ['z']);
    g.node('Relu', ['z'], ['y']);
    g.output('y', [-1, 2]);
    const bytes = g.toModelBytes({ opset: 17, producer: 'pdm-gateway', metadata: { kind: 'test' } });

    const x = Float32Array.from([1, 0, 0, 1, 1, 1]);
    const out = await run(bytes, { x: new ort.Tensor('float32', x, [2, 3]) });
    // row 0: [1,2]+[0.5,-100] -> relu [1.5, 0]; row 1: [9,12] + b -> [9.5, 0]
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1.5, 0, 9.5, 0]);
    expect(out.y!.dims).toEqual([2, 2]);
  });

  it('writes attributes (ints, float, string) that onnxruntime honours: Conv with pads, LeakyRelu alpha', async () => {
    const g = new OnnxGraphBuilder('conv');
    g.input('x', [1, 1, 5]);
    g.initializer('K', Float32Array.from([1, 1, 1]), [1, 1, 3]);
    g.node('Conv', ['x', 'K'], ['c'], { kernel_shape: [3], pads: [1, 1], strides: [1], auto_pad: 'NOTSET' });
    g.node('LeakyRelu', ['c'], ['y'], { alpha: floatAttr(0.5) });
    g.output('y', [1, 1, 5]);
    const out = await run(g.toModelBytes(), { x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, -20]), [1, 1, 5]) });
    // sums of 3 neighbours with zero padding: [3, 6, 9, -13, -16] then LeakyRelu(0.5)
    expect(Array.from(out.y!.data as Float32Array)).toEqual([3, 6, 9, -6.5, -8]);
  });

  it('stores int8 and int64 initializers byte-exactly (DequantizeLinear, Reshape)', async () => {
    const g = new OnnxGraphBuilder('q');
    g.input('x', [-1, 4]);
    g.initializer('q', Int8Array.from([-128, -1, 0, 127]), [4]);
    g.initializer('scale', Float32Array.from([0.5]), []);
    g.initializer('zp', Int8Array.from([0]), []);
    g.node('DequantizeLinear', ['q', 'scale', 'zp'], ['w']);
    g.node('Mul', ['x', 'w'], ['m']);
    const shape = g.int64s('shape', [-1, 2, 2]);
    g.node('Reshape', ['m', shape], ['y']);
    g.output('y', [-1, 2, 2]);
    const out = await run(g.toModelBytes(), { x: new ort.Tensor('float32', Float32Array.from([1, 1, 1, 2]), [1, 4]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([-64, -0.5, 0, 127]);
    expect(out.y!.dims).toEqual([1, 2, 2]);
  });

  it('reads back what it wrote: inputs, outputs, nodes, attributes, initializers, metadata', () => {
    const g = new OnnxGraphBuilder('roundtrip');
    g.input('x', [-1, 30, 14]);
    const w = Float32Array.from({ length: 14 }, (_, i) => i / 7);
    g.initializer('W', w, [14, 1]);
    g.node('MatMul', ['x', 'W'], ['y'], {}, { name: 'mm' });
    g.node('Transpose', ['y'], ['t'], { perm: [0, 2, 1] });
    g.output('t', [-1, 1, 30]);
    const info = readOnnxModel(g.toModelBytes({ opset: 17, producer: 'me', metadata: { a: 'b' } }));
    expect(info.graphName).toBe('roundtrip');
    expect(info.opset).toBe(17);
    expect(info.irVersion).toBe(8);
    expect(info.producer).toBe('me');
    expect(info.metadata).toEqual({ a: 'b' });
    expect(info.inputs).toEqual([{ name: 'x', elemType: 1, dims: [-1, 30, 14] }]);
    expect(info.outputs).toEqual([{ name: 't', elemType: 1, dims: [-1, 1, 30] }]);
    expect(info.nodes.map((n) => [n.name, n.opType])).toEqual([['mm', 'MatMul'], ['Transpose', 'Transpose']]);
    expect(info.nodes[1]!.attrs).toEqual({ perm: [0, 2, 1] });
    expect(Array.from(info.initializers.get('W')!.data as Float32Array)).toEqual(Array.from(w));
    expect(info.initializers.get('W')!.dims).toEqual([14, 1]);
  });

  it('names the node at fault when an input is produced by nothing, and refuses reused names', () => {
    const g = new OnnxGraphBuilder('bad');
    g.input('x', [1]);
    expect(() => g.node('Relu', ['nope'], ['y'], {}, { name: 'r1' })).toThrow('graph bad: node r1 (Relu) reads nope, which nothing produces');
    expect(() => g.initializer('x', new Float32Array(1), [1])).toThrow('the name x is already used');
    expect(() => g.initializer('w', new Float32Array(3), [2])).toThrow('tensor w: dims [2] hold 2 values but 3 were given');
    expect(() => g.output('z', [1])).toThrow('output z is produced by no node');
    expect(() => g.toModelBytes()).toThrow('graph bad: no outputs declared');
  });

  it('unique() hands out fresh names', () => {
    const g = new OnnxGraphBuilder('n');
    g.input('relu', [1]);
    expect(g.op('Relu', ['relu'])).toBe('relu_1');
    expect(g.op('Relu', ['relu'])).toBe('relu_2');
    expect(g.unique('w')).toBe('w');
  });
});
