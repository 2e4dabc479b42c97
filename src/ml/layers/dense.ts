import type { OnnxGraphBuilder } from '../onnx';
import type { Rng } from '../rng';
import { columnSums, dense, gemmNT, transpose } from '../gemm';
import { alloc, ensure, type Dtype, type FArray, type Tensor } from '../tensor';
import { f32, initWeights, loadParam, param, shapeError, toNTC, type Init, type Layer, type LayerSpec, type OnnxValue, type Param, type ExportOptions } from './layer';
import { int8MatMul } from '../quantize';

/**
 * Fully connected layer y = x W + b over the last axis (W is [in, units], as ONNX MatMul wants it).
 * Leading axes are rows, so on a [T, C] input it acts per time step. Exports as MatMul + Add.
 */
export class Dense implements Layer {
  readonly type = 'dense';
  private W!: Param;
  private b!: Param;
  private inF = 0;
  private inShape: number[] = [];
  private dtype: Dtype = 'float32';
  private x: Tensor | undefined;
  private y: FArray | undefined;
  private dx: FArray | undefined;
  private wt: FArray | undefined;
  private xt: FArray | undefined;
  private gt: FArray | undefined;

  constructor(
    readonly units: number,
    readonly init: Init = 'glorot',
  ) {}

  build(inShape: readonly number[], rng: Rng, dtype: Dtype, prefix: string): number[] {
    if (inShape.length < 1) throw shapeError('dense', '[..., features]', inShape);
    this.inShape = [...inShape];
    this.inF = inShape[inShape.length - 1]!;
    this.dtype = dtype;
    const w = alloc(dtype, this.inF * this.units);
    initWeights(w, this.inF, this.units, this.init, rng);
    this.W = param(`${prefix}_W`, w, [this.inF, this.units], true);
    this.b = param(`${prefix}_b`, alloc(dtype, this.units), [this.units], false);
    return [...inShape.slice(0, -1), this.units];
  }

  forward(x: Tensor, training: boolean): Tensor {
    const F = this.inF;
    const U = this.units;
    const rows = x.data.length / F;
    const y = (this.y = ensure(this.y, this.dtype, rows * U));
    const wt = (this.wt = transpose(this.W.value, F, U, ensure(this.wt, this.dtype, F * U)));
    gemmNT(y, dense(rows, U), x.data, dense(rows, F), wt, F, 1, U, F, false, this.b.value);
    if (training) this.x = x;
    return { data: y, shape: [...x.shape.slice(0, -1), U] };
  }

  backward(dy: Tensor): Tensor {
    const x = this.x;
    if (!x) throw new Error('dense: backward called before a training forward');
    const F = this.inF;
    const U = this.units;
    const rows = dy.data.length / U;
    // dW = X^T G and dX = G W^T, both as NT products over contiguous rows.
    const xt = (this.xt = transpose(x.data, rows, F, ensure(this.xt, this.dtype, rows * F)));
    const gt = (this.gt = transpose(dy.data, rows, U, ensure(this.gt, this.dtype, rows * U)));
    gemmNT(this.W.grad, dense(F, U), xt, dense(F, rows), gt, rows, 1, U, rows, false);
    columnSums(dy.data, rows, U, this.b.grad);
    const dx = (this.dx = ensure(this.dx, this.dtype, rows * F));
    gemmNT(dx, dense(rows, F), dy.data, dense(rows, U), this.W.value, U, 1, F, U, false);
    return { data: dx, shape: x.shape };
  }

  params(): Param[] {
    return [this.W, this.b];
  }

  exportOnnx(g: OnnxGraphBuilder, x: OnnxValue, opts: ExportOptions = {}): OnnxValue {
    const input = toNTC(g, x);
    if (opts.int8) return { name: int8MatMul(g, input.name, this.W.name, f32(this.W.value), this.inF, this.units, f32(this.b.value)), layout: input.layout };
    const W = g.initializer(this.W.name, f32(this.W.value), this.W.shape);
    const b = g.initializer(this.b.name, f32(this.b.value), this.b.shape);
    const mm = g.op('MatMul', [input.name, W], {}, `${this.W.name}_mm`);
    return { name: g.op('Add', [mm, b], {}, `${this.b.name}_add`), layout: input.layout };
  }

  importOnnx(initializer: (name: string) => Float32Array): void {
    loadParam(this.W, initializer(this.W.name));
    loadParam(this.b, initializer(this.b.name));
  }

  spec(): LayerSpec {
    return { type: 'dense', units: this.units, init: this.init };
  }

  /** Input shape seen at build (no batch axis). */
  inputShape(): number[] {
    return this.inShape;
  }
}
