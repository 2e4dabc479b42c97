import type { OnnxGraphBuilder } from '../onnx';
import type { Rng } from '../rng';
import { alloc, ensure, type Dtype, type FArray, type Tensor } from '../tensor';
import { f32, initWeights, loadParam, param, shapeError, toNTC, type Init, type Layer, type LayerSpec, type OnnxValue, type Param } from './layer';

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
    const xd = x.data;
    const w = this.W.value;
    const b = this.b.value;
    for (let r = 0; r < rows; r++) {
      const yo = r * U;
      for (let u = 0; u < U; u++) y[yo + u] = b[u]!;
      const xo = r * F;
      for (let f = 0; f < F; f++) {
        const xv = xd[xo + f]!;
        if (xv === 0) continue; // ReLU outputs are often zero
        const wo = f * U;
        for (let u = 0; u < U; u++) y[yo + u]! += xv * w[wo + u]!;
      }
    }
    if (training) this.x = x;
    return { data: y, shape: [...x.shape.slice(0, -1), U] };
  }

  backward(dy: Tensor): Tensor {
    const x = this.x;
    if (!x) throw new Error('dense: backward called before a training forward');
    const F = this.inF;
    const U = this.units;
    const rows = dy.data.length / U;
    const dx = (this.dx = ensure(this.dx, this.dtype, rows * F));
    const xd = x.data;
    const g = dy.data;
    const w = this.W.value;
    const dw = this.W.grad;
    const db = this.b.grad;
    dw.fill(0);
    db.fill(0);
    for (let r = 0; r < rows; r++) {
      const go = r * U;
      for (let u = 0; u < U; u++) db[u]! += g[go + u]!;
      const xo = r * F;
      for (let f = 0; f < F; f++) {
        const xv = xd[xo + f]!;
        const wo = f * U;
        let acc = 0;
        for (let u = 0; u < U; u++) {
          const gv = g[go + u]!;
          acc += gv * w[wo + u]!;
          dw[wo + u]! += xv * gv;
        }
        dx[xo + f] = acc;
      }
    }
    return { data: dx, shape: x.shape };
  }

  params(): Param[] {
    return [this.W, this.b];
  }

  exportOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    const input = toNTC(g, x);
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
