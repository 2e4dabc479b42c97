import { ensure, type FArray, type Tensor } from '../tensor';
import type { LayerSpec } from './layer';
import { TrainingOnlyLayer } from './training-only';

/** Inverted dropout: scales kept units by 1/(1-rate) in training, identity at inference (and in ONNX). */
export class Dropout extends TrainingOnlyLayer {
  readonly type = 'dropout';
  private mask: FArray | undefined;
  private y: FArray | undefined;
  private dx: FArray | undefined;
  private shape: number[] = [];
  private active = false;

  constructor(readonly rate: number) {
    super();
    if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
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

  spec(): LayerSpec {
    return { type: 'dropout', rate: this.rate };
  }
}
