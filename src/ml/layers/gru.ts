import type { OnnxGraphBuilder } from '../onnx';
import type { Rng } from '../rng';
import { columnSums, dense, gemmNT, transpose } from '../gemm';
import { alloc, ensure, type Dtype, type FArray, type Tensor } from '../tensor';
import { f32, initWeights, loadParam, param, shapeError, type Layer, type LayerSpec, type OnnxValue, type Param } from './layer';

/**
 * Gated recurrent unit over time on a [T, C] input, from a zero state: the last state [H], or
 * every step's state [T, H] with `sequences`. The equations are ONNX GRU's with
 * linear_before_reset = 1 (PyTorch's and cuDNN's form), gate order z, r, h:
 *   z = sigmoid(x Wz' + h Rz' + bz), r = sigmoid(x Wr' + h Rr' + br),
 *   n = tanh(x Wh' + Wbh + r * (h Rh' + Rbh)), h' = (1 - z) * n + z * h.
 * The reset gate then multiplies one [B, 3H] product of the previous state, so each step is a
 * single small GEMM, and the input projection of every step is one GEMM up front.
 * Weights keep ONNX's layout: W [3H, C], R [3H, H], B [6H] (the input biases, then the recurrent ones).
 * Exported as one ONNX GRU node (time-major, as onnxruntime's GRU requires); int8 export leaves
 * it float32, as ONNX has no integer GRU.
 */
export class Gru implements Layer {
  readonly type = 'gru';
  private W!: Param;
  private R!: Param;
  private B!: Param;
  private T = 0;
  private C = 0;
  private dtype: Dtype = 'float32';
  private batch = 0;
  private x: FArray | undefined;
  /** Input projections plus input biases, [B, T, 3H], and (backward) their gradients. */
  private gx: FArray | undefined;
  private dgx: FArray | undefined;
  /** States h_0 .. h_T, time-major [T + 1, B, H] (h_0 = 0). */
  private hs: FArray | undefined;
  /** Per step, time-major [T, B, 3H]: the gates z and r, the candidate n, and h R' + Rb for the candidate. */
  private z: FArray | undefined;
  private r: FArray | undefined;
  private n: FArray | undefined;
  private ghh: FArray | undefined;
  private gh: FArray | undefined;
  private dgh: FArray | undefined;
  private y: FArray | undefined;
  private dx: FArray | undefined;
  private dh: FArray | undefined;
  private dhPrev: FArray | undefined;
  private rt: FArray | undefined;
  private wt: FArray | undefined;
  private ta: FArray | undefined;
  private tb: FArray | undefined;

  constructor(
    readonly units: number,
    readonly sequences = false,
  ) {
    if (!(Number.isInteger(units) && units >= 1)) throw new Error(`gru: units must be a whole number >= 1, got ${units}`);
  }

  build(inShape: readonly number[], rng: Rng, dtype: Dtype, prefix: string): number[] {
    if (inShape.length !== 2) throw shapeError('gru', '[frames, channels]', inShape);
    [this.T, this.C] = inShape as [number, number];
    this.dtype = dtype;
    const H = this.units;
    const w = alloc(dtype, 3 * H * this.C);
    initWeights(w, this.C, 3 * H, 'glorot', rng);
    const r = alloc(dtype, 3 * H * H);
    // Orthogonal recurrent weights per gate (as Keras and PyTorch practice): repeated products of
    // the state by R neither explode nor vanish at the start of training.
    for (let gate = 0; gate < 3; gate++) orthogonalRows(r.subarray(gate * H * H, (gate + 1) * H * H), H, rng);
    this.W = param(`${prefix}_W`, w, [1, 3 * H, this.C], true);
    this.R = param(`${prefix}_R`, r, [1, 3 * H, H], true);
    this.B = param(`${prefix}_B`, alloc(dtype, 6 * H), [1, 6 * H], false);
    return this.sequences ? [this.T, H] : [H];
  }

  forward(x: Tensor, training: boolean): Tensor {
    const { T, C, dtype } = this;
    const H = this.units;
    const H3 = 3 * H;
    const Bn = x.data.length / (T * C);
    this.batch = Bn;
    const bias = this.B.value;
    const gx = (this.gx = ensure(this.gx, dtype, Bn * T * H3));
    gemmNT(gx, dense(Bn * T, H3), x.data, dense(Bn * T, C), this.W.value, C, 1, H3, C, false, bias.subarray(0, H3));
    const hs = (this.hs = ensure(this.hs, dtype, (T + 1) * Bn * H));
    hs.fill(0, 0, Bn * H);
    const z = (this.z = ensure(this.z, dtype, T * Bn * H));
    const r = (this.r = ensure(this.r, dtype, T * Bn * H));
    const n = (this.n = ensure(this.n, dtype, T * Bn * H));
    const ghh = (this.ghh = ensure(this.ghh, dtype, T * Bn * H));
    const gh = (this.gh = ensure(this.gh, dtype, Bn * H3));
    const rb = bias.subarray(H3);
    for (let t = 0; t < T; t++) {
      const prev = t * Bn * H;
      gemmNT(gh, dense(Bn, H3), hs, { ...dense(Bn, H), offset: prev }, this.R.value, H, 1, H3, H, false, rb);
      for (let b = 0; b < Bn; b++) {
        const xo = (b * T + t) * H3;
        const go = b * H3;
        const so = (t * Bn + b) * H;
        for (let j = 0; j < H; j++) {
          const zj = sigmoid(gx[xo + j]! + gh[go + j]!);
          const rj = sigmoid(gx[xo + H + j]! + gh[go + H + j]!);
          const hh = gh[go + 2 * H + j]!;
          const nj = Math.tanh(gx[xo + 2 * H + j]! + rj * hh);
          z[so + j] = zj;
          r[so + j] = rj;
          n[so + j] = nj;
          ghh[so + j] = hh;
          hs[so + Bn * H + j] = (1 - zj) * nj + zj * hs[prev + b * H + j]!;
        }
      }
    }
    if (training) this.x = x.data;
    return this.output(hs, Bn);
  }

  /** Copies the states out batch-major: all steps, or the last one. */
  private output(hs: FArray, Bn: number): Tensor {
    const { T } = this;
    const H = this.units;
    if (!this.sequences) {
      const y = (this.y = ensure(this.y, this.dtype, Bn * H));
      y.set(hs.subarray(T * Bn * H, (T + 1) * Bn * H));
      return { data: y, shape: [Bn, H] };
    }
    const y = (this.y = ensure(this.y, this.dtype, Bn * T * H));
    for (let t = 0; t < T; t++) for (let b = 0; b < Bn; b++) y.set(hs.subarray(((t + 1) * Bn + b) * H, ((t + 1) * Bn + b + 1) * H), (b * T + t) * H);
    return { data: y, shape: [Bn, T, H] };
  }

  backward(dy: Tensor): Tensor {
    const { T, C, dtype } = this;
    const x = this.x;
    const hs = this.hs;
    const z = this.z;
    const r = this.r;
    const n = this.n;
    const ghh = this.ghh;
    if (!x || !hs || !z || !r || !n || !ghh) throw new Error('gru: backward called before a training forward');
    const H = this.units;
    const H3 = 3 * H;
    const Bn = this.batch;
    const dgx = (this.dgx = ensure(this.dgx, dtype, Bn * T * H3));
    const dgh = (this.dgh = ensure(this.dgh, dtype, T * Bn * H3));
    const dh = (this.dh = ensure(this.dh, dtype, Bn * H));
    const dhPrev = (this.dhPrev = ensure(this.dhPrev, dtype, Bn * H));
    const rt = (this.rt = transpose(this.R.value, H3, H, ensure(this.rt, dtype, H3 * H)));
    dh.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      if (this.sequences) for (let b = 0; b < Bn; b++) for (let j = 0; j < H; j++) dh[b * H + j]! += dy.data[(b * T + t) * H + j]!;
      else if (t === T - 1) dh.set(dy.data);
      for (let b = 0; b < Bn; b++) {
        const so = (t * Bn + b) * H;
        const xo = (b * T + t) * H3;
        const go = (t * Bn + b) * H3;
        for (let j = 0; j < H; j++) {
          const d = dh[b * H + j]!;
          const zj = z[so + j]!;
          const rj = r[so + j]!;
          const nj = n[so + j]!;
          const hp = hs[so + j]!;
          const dz = d * (hp - nj) * zj * (1 - zj);
          const dn = d * (1 - zj) * (1 - nj * nj);
          const dr = dn * ghh[so + j]! * rj * (1 - rj);
          dgx[xo + j] = dz;
          dgx[xo + H + j] = dr;
          dgx[xo + 2 * H + j] = dn;
          dgh[go + j] = dz;
          dgh[go + H + j] = dr;
          dgh[go + 2 * H + j] = dn * rj;
          dhPrev[b * H + j] = d * zj;
        }
      }
      // dh_{t-1} = dh * z + dGH_t R.
      gemmNT(dhPrev, dense(Bn, H), dgh, { ...dense(Bn, H3), offset: t * Bn * H3 }, rt, H3, 1, H, H3, true);
      dh.set(dhPrev);
    }
    const M = Bn * T;
    // dR = dGH' H_prev (h_0 .. h_{T-1}, the same time-major rows) and dW = dGX' X, as NT products of transposes.
    const tb = (this.tb = ensure(this.tb, dtype, Math.max(H, C) * M));
    const ta = (this.ta = transpose(dgh, M, H3, ensure(this.ta, dtype, H3 * M)));
    transpose(hs.subarray(0, M * H), M, H, tb);
    gemmNT(this.R.grad, dense(H3, H), ta, dense(H3, M), tb, M, 1, H, M, false);
    columnSums(dgh, M, H3, this.B.grad.subarray(H3));
    transpose(dgx, M, H3, ta);
    transpose(x, M, C, tb);
    gemmNT(this.W.grad, dense(H3, C), ta, dense(H3, M), tb, M, 1, C, M, false);
    columnSums(dgx, M, H3, this.B.grad.subarray(0, H3));
    const wt = (this.wt = transpose(this.W.value, H3, C, ensure(this.wt, dtype, H3 * C)));
    const dx = (this.dx = ensure(this.dx, dtype, M * C));
    gemmNT(dx, dense(M, C), dgx, dense(M, H3), wt, H3, 1, C, H3, false);
    return { data: dx, shape: [Bn, T, C] };
  }

  params(): Param[] {
    return [this.W, this.R, this.B];
  }

  exportOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    if (x.layout === 'flat') throw new Error('gru: needs a [N, T, C] input');
    const H = this.units;
    const prefix = this.W.name.replace(/_W$/, '');
    // Time-major [T, N, C] from either layout in one Transpose.
    const seq = g.op('Transpose', [x.name], { perm: x.layout === 'NTC' ? [1, 0, 2] : [2, 0, 1] }, `${prefix}_tnc`);
    const W = g.initializer(this.W.name, f32(this.W.value), this.W.shape);
    const R = g.initializer(this.R.name, f32(this.R.value), this.R.shape);
    const B = g.initializer(this.B.name, f32(this.B.value), this.B.shape);
    const [y, yh] = g.node('GRU', [seq, W, R, B], [g.unique(`${prefix}_y`), g.unique(`${prefix}_yh`)], { hidden_size: H, linear_before_reset: 1 });
    // Y is [T, 1, N, H] and Y_h [1, N, H]: drop the direction axis.
    if (!this.sequences) return { name: g.op('Squeeze', [yh!, g.int64s(`${prefix}_axis0`, [0])], {}, `${prefix}_last`), layout: 'flat' };
    const tnh = g.op('Squeeze', [y!, g.int64s(`${prefix}_axis1`, [1])], {}, `${prefix}_steps`);
    return { name: g.op('Transpose', [tnh], { perm: [1, 0, 2] }, `${prefix}_nth`), layout: 'NTC' };
  }

  importOnnx(initializer: (name: string) => Float32Array): void {
    loadParam(this.W, initializer(this.W.name));
    loadParam(this.R, initializer(this.R.name));
    loadParam(this.B, initializer(this.B.name));
  }

  spec(): LayerSpec {
    return this.sequences ? { type: 'gru', units: this.units, sequences: true } : { type: 'gru', units: this.units };
  }
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** Fills a [k, k] block with random orthonormal rows (Gram-Schmidt on normal draws). */
function orthogonalRows(a: FArray, k: number, rng: Rng): void {
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  for (let i = 0; i < k; i++) {
    const ri = i * k;
    for (let j = 0; j < i; j++) {
      const rj = j * k;
      let dot = 0;
      for (let c = 0; c < k; c++) dot += a[ri + c]! * a[rj + c]!;
      for (let c = 0; c < k; c++) a[ri + c]! -= dot * a[rj + c]!;
    }
    let norm = 0;
    for (let c = 0; c < k; c++) norm += a[ri + c]! * a[ri + c]!;
    norm = Math.sqrt(norm);
    for (let c = 0; c < k; c++) a[ri + c]! /= norm;
  }
}
