import type { OnnxGraphBuilder } from '../onnx';
import { Rng } from '../rng';
import { ensure, type Dtype, type FArray, type Tensor } from '../tensor';
import type { Layer, LayerSpec, OnnxValue, Param } from './layer';

/** Inverted dropout: scales kept units by 1/(1-rate) in training, identity at inference (and in ONNX). */
export class Dropout implements Layer {
  readonly type = 'dropout';
  private dtype: Dtype = 'float32';
  private rng = new Rng(1);
  private mask: FArray | undefined;
  private y: FArray | undefined;
  private dx: FArray | undefined;
  private shape: number[] = [];
  private active = false;

  constructor(readonly rate: number) {
    if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  }

  build(inShape: readonly number[], rng: Rng, dtype: Dtype): number[] {
    this.dtype = dtype;
    this.rng = rng.fork();
    return [...inShape];
  }

  /** Restarts the mask sequence (gradient checks need the same mask on every forward). */
  seed(seed: number): void {
    this.rng = new Rng(seed);
  }

  forward(x: Tensor, training: boolean): Tensor {
    this.active = training && this.rate > 0;
    this.shape = x.shape;
    if (!this.active) return x;
    const n = x.data.length;
    const mask = (this.mask = ensure(this.mask, this.dtype, n));
    const y = (this.y = ensure(this.y, this.dtype, n));
    const keep = 1 - this.rate;
    const scale = 1 / keep;
    for (let i = 0; i < n; i++) {
      const m = this.rng.next() < keep ? scale : 0;
      mask[i] = m;
      y[i] = x.data[i]! * m;
    }
    return { data: y, shape: x.shape };
  }

  backward(dy: Tensor): Tensor {
    if (!this.active) return dy;
    const mask = this.mask!;
    const dx = (this.dx = ensure(this.dx, this.dtype, mask.length));
    for (let i = 0; i < mask.length; i++) dx[i] = dy.data[i]! * mask[i]!;
    return { data: dx, shape: this.shape };
  }

  params(): Param[] {
    return [];
  }

  exportOnnx(_g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    return x;
  }

  importOnnx(): void {}

  spec(): LayerSpec {
    return { type: 'dropout', rate: this.rate };
  }
}
