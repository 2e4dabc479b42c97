import type { Param } from './layers';
import type { FArray } from './tensor';

export interface AdamWOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (Loshchilov & Hutter), applied to params with `decay` set (weights, not biases). */
  weightDecay?: number;
  /** Clip the global gradient L2 norm to this value (0 = off). */
  clipNorm?: number;
}

/** Adam with decoupled weight decay. Moments are Float64Array whatever the parameter dtype. */
export class AdamW {
  lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly clipNorm: number;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;

  constructor(
    private readonly params: readonly Param[],
    opts: AdamWOptions = {},
  ) {
    this.lr = opts.lr ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.clipNorm = opts.clipNorm ?? 0;
    this.m = params.map((p) => new Float64Array(p.value.length));
    this.v = params.map((p) => new Float64Array(p.value.length));
  }

  /** The global L2 norm of the current gradients. */
  gradNorm(): number {
    let s = 0;
    for (const p of this.params) for (let i = 0; i < p.grad.length; i++) s += p.grad[i]! * p.grad[i]!;
    return Math.sqrt(s);
  }

  step(): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps, lr } = this;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    let scale = 1;
    if (this.clipNorm > 0) {
      const norm = this.gradNorm();
      if (norm > this.clipNorm) scale = this.clipNorm / norm;
    }
    this.params.forEach((p, k) => {
      const m = this.m[k]!;
      const v = this.v[k]!;
      const w: FArray = p.value;
      const g = p.grad;
      const decay = p.decay ? lr * this.weightDecay : 0;
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]! * scale;
        m[i] = b1 * m[i]! + (1 - b1) * gi;
        v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
        w[i] = w[i]! - decay * w[i]! - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
      }
    });
  }
}
