import { floatAttr, type OnnxGraphBuilder } from '../onnx';
import { ensure, type Dtype, type FArray, type Tensor } from '../tensor';
import type { Activation as Fn, Layer, LayerSpec, OnnxValue, Param } from './layer';

/**
 * Element-wise activation. The backward pass uses the stored output only (every supported
 * function's derivative is a function of its output), so no input copy is kept.
 */
export class Activation implements Layer {
  readonly type = 'activation';
  private dtype: Dtype = 'float32';
  private y: FArray | undefined;
  private dx: FArray | undefined;
  private shape: number[] = [];

  constructor(
    readonly fn: Fn,
    readonly alpha = 0.01,
  ) {}

  build(inShape: readonly number[], _rng: unknown, dtype: Dtype): number[] {
    this.dtype = dtype;
    return [...inShape];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const n = x.data.length;
    const y = (this.y = ensure(this.y, this.dtype, n));
    const xd = x.data;
    switch (this.fn) {
      case 'relu':
        for (let i = 0; i < n; i++) y[i] = xd[i]! > 0 ? xd[i]! : 0;
        break;
      case 'leaky-relu': {
        const a = this.alpha;
        for (let i = 0; i < n; i++) y[i] = xd[i]! > 0 ? xd[i]! : a * xd[i]!;
        break;
      }
      case 'tanh':
        for (let i = 0; i < n; i++) y[i] = Math.tanh(xd[i]!);
        break;
      case 'sigmoid':
        for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-xd[i]!));
        break;
      case 'linear':
        y.set(xd);
        break;
    }
    this.shape = x.shape;
    return { data: y, shape: x.shape };
  }

  backward(dy: Tensor): Tensor {
    const y = this.y;
    if (!y) throw new Error('activation: backward called before forward');
    const n = y.length;
    const dx = (this.dx = ensure(this.dx, this.dtype, n));
    const g = dy.data;
    switch (this.fn) {
      case 'relu':
        for (let i = 0; i < n; i++) dx[i] = y[i]! > 0 ? g[i]! : 0;
        break;
      case 'leaky-relu': {
        const a = this.alpha;
        for (let i = 0; i < n; i++) dx[i] = y[i]! > 0 ? g[i]! : a * g[i]!;
        break;
      }
      case 'tanh':
        for (let i = 0; i < n; i++) dx[i] = g[i]! * (1 - y[i]! * y[i]!);
        break;
      case 'sigmoid':
        for (let i = 0; i < n; i++) dx[i] = g[i]! * y[i]! * (1 - y[i]!);
        break;
      case 'linear':
        dx.set(g);
        break;
    }
    return { data: dx, shape: this.shape };
  }

  params(): Param[] {
    return [];
  }

  exportOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    switch (this.fn) {
      case 'relu':
        return { name: g.op('Relu', [x.name]), layout: x.layout };
      case 'leaky-relu':
        return { name: g.op('LeakyRelu', [x.name], { alpha: floatAttr(this.alpha) }), layout: x.layout };
      case 'tanh':
        return { name: g.op('Tanh', [x.name]), layout: x.layout };
      case 'sigmoid':
        return { name: g.op('Sigmoid', [x.name]), layout: x.layout };
      case 'linear':
        return x;
    }
  }

  importOnnx(): void {}

  spec(): LayerSpec {
    return this.fn === 'leaky-relu' ? { type: 'activation', fn: this.fn, alpha: this.alpha } : { type: 'activation', fn: this.fn };
  }
}
