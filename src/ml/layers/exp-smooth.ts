import type { OnnxGraphBuilder } from '../onnx';
import { ensure, type Dtype, type Tensor } from '../tensor';
import type { Layer, LayerSpec, OnnxValue } from './layer';
import { TimeLayer } from './time-layer';

/**
 * Fixed exponential smoothing along time, per channel: y[0] = x[0], y[t] = a x[t] + (1 - a) y[t-1].
 * No parameters. It lives in the graph (the gateway feeds raw z-scored windows), exported as one
 * MatMul with the constant lower-triangular [T, T] matrix it is equivalent to: M @ x on [N, T, C],
 * x @ M^T on [N, C, T], so neither layout needs a Transpose. A window front-padded with its first
 * row stays at that row through the padding, so the smoothing starts where the engine's data does.
 */
export class ExpSmooth extends TimeLayer implements Layer {
  readonly type = 'exp-smooth';

  constructor(readonly alpha: number) {
    super('exp-smooth');
    if (!(alpha > 0 && alpha <= 1)) throw new Error(`exp-smooth: alpha must be in (0, 1], got ${alpha}`);
  }

  build(inShape: readonly number[], _rng: unknown, dtype: Dtype, prefix: string): number[] {
    this.buildOver(inShape, dtype, prefix);
    return [...inShape];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const { T, C, alpha } = this;
    const keep = 1 - alpha;
    const B = x.data.length / (T * C);
    const y = (this.y = ensure(this.y, this.dtype, x.data.length));
    const xd = x.data;
    for (let b = 0; b < B; b++) {
      const o = b * T * C;
      for (let c = 0; c < C; c++) y[o + c] = xd[o + c]!;
      for (let t = 1; t < T; t++) {
        const r = o + t * C;
        for (let c = 0; c < C; c++) y[r + c] = alpha * xd[r + c]! + keep * y[r - C + c]!;
      }
    }
    return { data: y, shape: x.shape };
  }

  /** Reverse recursion: G[t] = dy[t] + (1 - a) G[t+1]; dx[t] = a G[t], and dx[0] = G[0]. */
  backward(dy: Tensor): Tensor {
    const { T, C, alpha } = this;
    const keep = 1 - alpha;
    const B = dy.data.length / (T * C);
    const dx = (this.dx = ensure(this.dx, this.dtype, dy.data.length));
    const g = dy.data;
    for (let b = 0; b < B; b++) {
      const o = b * T * C;
      // dx holds G while it runs backwards, then is scaled by alpha (except row 0).
      for (let c = 0; c < C; c++) dx[o + (T - 1) * C + c] = g[o + (T - 1) * C + c]!;
      for (let t = T - 2; t >= 0; t--) {
        const r = o + t * C;
        for (let c = 0; c < C; c++) dx[r + c] = g[r + c]! + keep * dx[r + C + c]!;
      }
      for (let i = o + C; i < o + T * C; i++) dx[i] = alpha * dx[i]!;
    }
    return { data: dx, shape: dy.shape };
  }

  /** The [T, T] matrix M with y = M x over time (row t: weights of x[0..t]). */
  matrix(): Float32Array {
    const { T, alpha } = this;
    const m = new Float32Array(T * T);
    for (let t = 0; t < T; t++) {
      m[t * T] = (1 - alpha) ** t;
      for (let s = 1; s <= t; s++) m[t * T + s] = alpha * (1 - alpha) ** (t - s);
    }
    return m;
  }

  exportOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    if (x.layout === 'flat') throw new Error('exp-smooth: needs a [N, T, C] input');
    const T = this.T;
    const m = this.matrix();
    if (x.layout === 'NTC') return { name: g.op('MatMul', [g.floats(`${this.prefix}_M`, m, [T, T]), x.name], {}, this.prefix), layout: 'NTC' };
    const mt = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) mt[j * T + i] = m[i * T + j]!;
    return { name: g.op('MatMul', [x.name, g.floats(`${this.prefix}_Mt`, mt, [T, T])], {}, this.prefix), layout: 'NCT' };
  }

  spec(): LayerSpec {
    return { type: 'exp-smooth', alpha: this.alpha };
  }
}
