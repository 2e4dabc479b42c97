import type { OnnxGraphBuilder } from '../onnx';
import { ensure, type Dtype, type Tensor } from '../tensor';
import type { Layer, LayerSpec, OnnxValue } from './layer';
import { TimeLayer } from './time-layer';

/**
 * Keeps the last `steps` time steps of a [T, C] input. It lets networks that read windows of
 * different lengths share one graph input (the longest window): an ensemble of 50- to 90-cycle
 * RUL networks is one model the gateway feeds 90-frame windows. No parameters and no random
 * draws, so a network behind it starts from the same weights as one built for `steps` directly.
 * Exported as one Slice along time.
 */
export class LastSteps extends TimeLayer implements Layer {
  readonly type = 'last-steps';

  constructor(readonly steps: number) {
    super('last-steps');
    if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`last-steps: steps must be a whole number >= 1, got ${steps}`);
  }

  build(inShape: readonly number[], _rng: unknown, dtype: Dtype, prefix: string): number[] {
    this.buildOver(inShape, dtype, prefix);
    if (this.steps > this.T) throw new Error(`last-steps: keeps ${this.steps} steps of an input of ${this.T}`);
    return [this.steps, this.C];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const { T, C, steps } = this;
    const B = x.data.length / (T * C);
    const y = (this.y = ensure(this.y, this.dtype, B * steps * C));
    for (let b = 0; b < B; b++) y.set(x.data.subarray((b * T + T - steps) * C, (b + 1) * T * C), b * steps * C);
    return { data: y, shape: [B, steps, C] };
  }

  /** The dropped steps get no gradient. */
  backward(dy: Tensor): Tensor {
    const { T, C, steps } = this;
    const B = dy.data.length / (steps * C);
    const dx = (this.dx = ensure(this.dx, this.dtype, B * T * C));
    dx.fill(0);
    for (let b = 0; b < B; b++) dx.set(dy.data.subarray(b * steps * C, (b + 1) * steps * C), (b * T + T - steps) * C);
    return { data: dx, shape: [B, T, C] };
  }

  exportOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    if (x.layout === 'flat') throw new Error('last-steps: needs a [N, T, C] input');
    const axis = x.layout === 'NTC' ? 1 : 2;
    const inputs = [x.name, g.int64s(`${this.prefix}_start`, [this.T - this.steps]), g.int64s(`${this.prefix}_end`, [this.T]), g.int64s(`${this.prefix}_axis`, [axis])];
    return { name: g.op('Slice', inputs, {}, this.prefix), layout: x.layout };
  }

  spec(): LayerSpec {
    return { type: 'last-steps', steps: this.steps };
  }
}
