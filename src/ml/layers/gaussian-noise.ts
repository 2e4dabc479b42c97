import { ensure, type FArray, type Tensor } from '../tensor';
import type { LayerSpec } from './layer';
import { TrainingOnlyLayer } from './training-only';

/**
 * Adds N(0, std²) noise to its input in training only (a regularizer against memorizing each
 * training unit's sensor noise); the identity at inference and absent from the ONNX graph.
 */
export class GaussianNoise extends TrainingOnlyLayer {
  readonly type = 'gaussian-noise';
  private y: FArray | undefined;

  constructor(readonly std: number) {
    super();
    if (!(std >= 0)) throw new Error(`gaussian-noise: std must be >= 0, got ${std}`);
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

  spec(): LayerSpec {
    return { type: 'gaussian-noise', std: this.std };
  }
}
