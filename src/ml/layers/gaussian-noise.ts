import type { OnnxGraphBuilder } from '../onnx';
import { Rng } from '../rng';
import { ensure, type Dtype, type FArray, type Tensor } from '../tensor';
import type { Layer, LayerSpec, OnnxValue, Param } from './layer';

/**
 * Adds N(0, std²) noise to its input in training only (a regularizer against memorizing each
 * training unit's sensor noise); the identity at inference and absent from the ONNX graph.
 */
export class GaussianNoise implements Layer {
  readonly type = 'gaussian-noise';
  private dtype: Dtype = 'float32';
  private rng = new Rng(1);
  private y: FArray | undefined;

  constructor(readonly std: number) {
    if (!(std >= 0)) throw new Error(`gaussian-noise: std must be >= 0, got ${std}`);
  }

  build(inShape: readonly number[], rng: Rng, dtype: Dtype): number[] {
    this.dtype = dtype;
    this.rng = rng.fork();
    return [...inShape];
  }

  /** Restarts the noise sequence (gradient checks need the same noise on every forward). */
  seed(seed: number): void {
    this.rng = new Rng(seed);
  }

  forward(x: Tensor, training: boolean): Tensor {
    if (!training || this.std === 0) return x;
    const y = (this.y = ensure(this.y, this.dtype, x.data.length));
    for (let i = 0; i < y.length; i++) y[i] = x.data[i]! + this.std * this.rng.normal();
    return { data: y, shape: x.shape };
  }

  backward(dy: Tensor): Tensor {
    return dy;
  }

  params(): Param[] {
    return [];
  }

  exportOnnx(_g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    return x;
  }

  importOnnx(): void {}

  spec(): LayerSpec {
    return { type: 'gaussian-noise', std: this.std };
  }
}
