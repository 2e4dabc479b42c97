import type { OnnxGraphBuilder } from '../onnx';
import { sizeOf, type Dtype, type Tensor } from '../tensor';
import { toNTC, type Layer, type LayerSpec, type OnnxValue, type Param } from './layer';

/**
 * Flatten ([T, C] -> [T*C], channels fastest, as the TS layout stores it) and Reshape (back to
 * [T, C] for a decoder). Neither copies data in TS; in ONNX a channels-first value is first
 * transposed back so that the element order matches.
 */
export class Reshape implements Layer {
  readonly type: 'flatten' | 'reshape';
  private inShape: number[] = [];

  constructor(readonly target?: readonly number[]) {
    this.type = target ? 'reshape' : 'flatten';
  }

  build(inShape: readonly number[], _rng: unknown, _dtype: Dtype): number[] {
    this.inShape = [...inShape];
    const out = this.target ? [...this.target] : [sizeOf(inShape)];
    if (sizeOf(out) !== sizeOf(inShape)) throw new Error(`reshape: cannot reshape [${inShape.join(', ')}] to [${out.join(', ')}]`);
    return out;
  }

  private outShape(): number[] {
    return this.target ? [...this.target] : [sizeOf(this.inShape)];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    return { data: x.data, shape: [x.shape[0]!, ...this.outShape()] };
  }

  backward(dy: Tensor): Tensor {
    return { data: dy.data, shape: [dy.shape[0]!, ...this.inShape] };
  }

  params(): Param[] {
    return [];
  }

  exportOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    const input = toNTC(g, x);
    const out = this.outShape();
    if (!this.target) return { name: g.op('Flatten', [input.name], { axis: 1 }), layout: 'flat' };
    const shape = g.int64s('shape', [-1, ...out]);
    return { name: g.op('Reshape', [input.name, shape]), layout: out.length === 2 ? 'NTC' : 'flat' };
  }

  importOnnx(): void {}

  spec(): LayerSpec {
    return this.target ? { type: 'reshape', shape: [...this.target] } : { type: 'flatten' };
  }
}
