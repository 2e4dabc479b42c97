import type { Dtype, FArray } from '../tensor';
import { shapeError, type Param } from './layer';

/**
 * What the parameter-free layers over a [frames, channels] input (exp-smooth, last-steps) share:
 * the input shape, dtype and name prefix they were built with, and the output and gradient
 * buffers they reuse between calls.
 */
export abstract class TimeLayer {
  protected T = 0;
  protected C = 0;
  protected dtype: Dtype = 'float32';
  protected prefix: string;
  protected y: FArray | undefined;
  protected dx: FArray | undefined;

  protected constructor(private readonly layerName: string) {
    this.prefix = layerName.replace('-', '_');
  }

  /** Takes a per-sample [frames, channels] shape; anything else is refused, naming the layer. */
  protected buildOver(inShape: readonly number[], dtype: Dtype, prefix: string): void {
    if (inShape.length !== 2) throw shapeError(this.layerName, '[frames, channels]', inShape);
    [this.T, this.C] = inShape as [number, number];
    this.dtype = dtype;
    this.prefix = prefix;
  }

  params(): Param[] {
    return [];
  }

  importOnnx(): void {}
}
