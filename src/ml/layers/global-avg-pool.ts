import type { OnnxGraphBuilder } from '../onnx';
import { ensure, type Dtype, type FArray, type Tensor } from '../tensor';
import { shapeError, type Layer, type LayerSpec, type OnnxValue, type Param } from './layer';

/** Mean over time: [T, C] -> [C]. Exports as ReduceMean over the time axis of either layout. */
export class GlobalAvgPool implements Layer {
  readonly type = 'global-avg-pool';
  private T = 0;
  private C = 0;
  private dtype: Dtype = 'float32';
  private y: FArray | undefined;
  private dx: FArray | undefined;

  build(inShape: readonly number[], _rng: unknown, dtype: Dtype): number[] {
    if (inShape.length !== 2) throw shapeError('global-avg-pool', '[frames, channels]', inShape);
    [this.T, this.C] = inShape as [number, number];
    this.dtype = dtype;
    return [this.C];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const { T, C } = this;
    const B = x.data.length / (T * C);
    const y = (this.y = ensure(this.y, this.dtype, B * C));
    y.fill(0);
    const inv = 1 / T;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const xo = (b * T + t) * C;
        for (let c = 0; c < C; c++) y[b * C + c]! += x.data[xo + c]! * inv;
      }
    }
    return { data: y, shape: [B, C] };
  }

  backward(dy: Tensor): Tensor {
    const { T, C } = this;
    const B = dy.data.length / C;
    const dx = (this.dx = ensure(this.dx, this.dtype, B * T * C));
    const inv = 1 / T;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) dx[(b * T + t) * C + c] = dy.data[b * C + c]! * inv;
    return { data: dx, shape: [B, T, C] };
  }

  params(): Param[] {
    return [];
  }

  exportOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    if (x.layout === 'flat') throw new Error('global-avg-pool: needs a [N, T, C] input');
    // opset 17: ReduceMean takes axes as an attribute (it became an input in opset 18).
    return { name: g.op('ReduceMean', [x.name], { axes: [x.layout === 'NCT' ? 2 : 1], keepdims: 0 }), layout: 'flat' };
  }

  importOnnx(): void {}

  spec(): LayerSpec {
    return { type: 'global-avg-pool' };
  }
}
