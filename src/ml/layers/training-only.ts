import type { OnnxGraphBuilder } from '../onnx';
import { Rng } from '../rng';
import type { Dtype, Tensor } from '../tensor';
import type { Layer, LayerSpec, OnnxValue, Param } from './layer';

/**
 * A parameter-free random layer that acts only in training (dropout, input noise): the identity
 * at inference and absent from the ONNX graph. Subclasses supply forward, backward and spec.
 */
export abstract class TrainingOnlyLayer implements Layer {
  abstract readonly type: string;
  protected dtype: Dtype = 'float32';
  protected rng = new Rng(1);

  build(inShape: readonly number[], rng: Rng, dtype: Dtype): number[] {
    this.dtype = dtype;
    this.rng = rng.fork();
    return [...inShape];
  }

  /** Restarts the random sequence (gradient checks need the same draw on every forward). */
  seed(seed: number): void {
    this.rng = new Rng(seed);
  }

  abstract forward(x: Tensor, training: boolean): Tensor;
  abstract backward(dy: Tensor): Tensor;
  abstract spec(): LayerSpec;

  params(): Param[] {
    return [];
  }

  exportOnnx(_g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    return x;
  }

  importOnnx(): void {}
}
