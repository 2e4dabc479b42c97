import type { OnnxGraphBuilder } from '../onnx';
import type { Rng } from '../rng';
import { columnSums, dense, gemmNT, transpose, type RowLayout } from '../gemm';
import { alloc, ensure, type Dtype, type FArray, type Tensor } from '../tensor';
import { f32, initWeights, loadParam, param, shapeError, toNCT, type Init, type Layer, type LayerSpec, type OnnxValue, type Param, type ExportOptions } from './layer';
import { int8Weights } from '../quantize';

/**
 * 1-D convolution over time on channels-last input [T, C] -> [T', filters], stride 1.
 * The input is copied once into a zero-padded buffer so that each output step reads one
 * contiguous K*C patch (fast dot products, no bounds checks). Kernel stored as [O, K, C];
 * exported as ONNX Conv with the kernel transposed to [O, C, K].
 */
export class Conv1D implements Layer {
  readonly type = 'conv1d';
  private W!: Param;
  private b!: Param;
  private T = 0;
  private C = 0;
  private padL = 0;
  private padR = 0;
  private dtype: Dtype = 'float32';
  private xp: FArray | undefined;
  private y: FArray | undefined;
  private dxp: FArray | undefined;
  private dx: FArray | undefined;
  private gt: FArray | undefined;
  private pt: FArray | undefined;
  private wt: FArray | undefined;
  private batch = 0;

  constructor(
    readonly filters: number,
    readonly kernel: number,
    readonly padding: 'same' | 'valid' = 'same',
    readonly init: Init = 'he',
  ) {}

  private get Tp(): number {
    return this.T + this.padL + this.padR;
  }
  private get Tout(): number {
    return this.Tp - this.kernel + 1;
  }

  build(inShape: readonly number[], rng: Rng, dtype: Dtype, prefix: string): number[] {
    if (inShape.length !== 2) throw shapeError('conv1d', '[frames, channels]', inShape);
    [this.T, this.C] = inShape as [number, number];
    this.dtype = dtype;
    const total = this.padding === 'same' ? this.kernel - 1 : 0;
    // Same split as ONNX auto_pad SAME_UPPER: the extra zero goes at the end.
    this.padL = Math.floor(total / 2);
    this.padR = total - this.padL;
    if (this.Tout < 1) throw new Error(`conv1d: kernel ${this.kernel} is longer than the ${this.T} input frames`);
    const KC = this.kernel * this.C;
    const w = alloc(dtype, this.filters * KC);
    initWeights(w, KC, this.kernel * this.filters, this.init, rng);
    this.W = param(`${prefix}_W`, w, [this.filters, this.kernel, this.C], true);
    this.b = param(`${prefix}_b`, alloc(dtype, this.filters), [this.filters], false);
    return [this.Tout, this.filters];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const { T, C, Tp, Tout, padL } = this;
    const O = this.filters;
    const KC = this.kernel * C;
    const B = x.data.length / (T * C);
    const xp = (this.xp = ensure(this.xp, this.dtype, B * Tp * C));
    if (this.padL + this.padR > 0) xp.fill(0);
    for (let b = 0; b < B; b++) xp.set(x.data.subarray(b * T * C, (b + 1) * T * C), (b * Tp + padL) * C);
    const y = (this.y = ensure(this.y, this.dtype, B * Tout * O));
    // Each output step's K*C patch is a contiguous slice of the padded input: a GEMM whose A
    // rows overlap (row stride C), so im2col is never copied.
    gemmNT(y, dense(Tout, O), xp, this.patches(), this.W.value, KC, B, O, KC, false, this.b.value);
    this.batch = B;
    return { data: y, shape: [B, Tout, O] };
  }

  backward(dy: Tensor): Tensor {
    const xp = this.xp;
    if (!xp) throw new Error('conv1d: backward called before forward');
    const { T, C, Tp, Tout, padL } = this;
    const O = this.filters;
    const KC = this.kernel * C;
    const B = this.batch;
    const M = B * Tout;
    const g = dy.data;
    // dW = G^T P: transpose both so that the product runs over contiguous rows of length M.
    const gt = (this.gt = transpose(g, M, O, ensure(this.gt, this.dtype, M * O)));
    const pt = (this.pt = ensure(this.pt, this.dtype, KC * M));
    for (let j = 0; j < KC; j++) {
      // Writes contiguous, reads strided by C (a few cache lines): faster than the other order.
      let m = j * M;
      for (let b = 0; b < B; b++) {
        let src = b * Tp * C + j;
        for (let t = 0; t < Tout; t++, m++, src += C) pt[m] = xp[src]!;
      }
    }
    gemmNT(this.W.grad, dense(O, KC), gt, dense(O, M), pt, M, 1, KC, M, false);
    columnSums(g, M, O, this.b.grad);
    // dP = G W, scattered back onto the overlapping patches of the padded input.
    const wt = (this.wt = transpose(this.W.value, O, KC, ensure(this.wt, this.dtype, O * KC)));
    const dxp = (this.dxp = ensure(this.dxp, this.dtype, B * Tp * C));
    dxp.fill(0);
    gemmNT(dxp, this.patches(), g, dense(Tout, O), wt, O, B, KC, O, true);
    const dx = (this.dx = ensure(this.dx, this.dtype, B * T * C));
    for (let b = 0; b < B; b++) dx.set(dxp.subarray((b * Tp + padL) * C, (b * Tp + padL + T) * C), b * T * C);
    return { data: dx, shape: [B, T, C] };
  }

  /** Row layout of the output steps' patches in the padded input. */
  private patches(): RowLayout {
    return { rows: this.Tout, rowStride: this.C, groupStride: this.Tp * this.C };
  }

  params(): Param[] {
    return [this.W, this.b];
  }

  exportOnnx(g: OnnxGraphBuilder, x: OnnxValue, opts: ExportOptions = {}): OnnxValue {
    const input = toNCT(g, x);
    const { C, kernel: K } = this;
    const O = this.filters;
    const w = this.W.value;
    const wt = new Float32Array(w.length);
    for (let o = 0; o < O; o++) for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) wt[(o * C + c) * K + k] = w[(o * K + k) * C + c]!;
    const W = opts.int8 ? int8Weights(g, this.W.name, wt, [O, C, K]) : g.initializer(this.W.name, wt, [O, C, K]);
    const b = g.initializer(this.b.name, f32(this.b.value), this.b.shape);
    const y = g.op('Conv', [input.name, W, b], { kernel_shape: [K], pads: [this.padL, this.padR], strides: [1], dilations: [1], group: 1 }, `${this.W.name}_conv`);
    return { name: y, layout: 'NCT' };
  }

  importOnnx(initializer: (name: string) => Float32Array): void {
    const { C, kernel: K } = this;
    const wt = initializer(this.W.name);
    const w = new Float32Array(wt.length);
    for (let o = 0; o < this.filters; o++) for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) w[(o * K + k) * C + c] = wt[(o * C + c) * K + k]!;
    loadParam(this.W, w);
    loadParam(this.b, initializer(this.b.name));
  }

  spec(): LayerSpec {
    return { type: 'conv1d', filters: this.filters, kernel: this.kernel, padding: this.padding, init: this.init };
  }
}
