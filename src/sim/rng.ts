import { Sfc32 } from '../core/rng';

/**
 * Simulator streams: the seed and a stream name are hashed into the state (cyrb128-style), so
 * adding one channel does not change the others' sequences.
 */
export class Rng extends Sfc32 {
  constructor(seed: number, stream = '') {
    let h1 = 1779033703 ^ seed;
    let h2 = 3144134277 ^ Math.imul(seed, 0x9e3779b1);
    let h3 = 1013904242;
    let h4 = 2773480762;
    const text = `${seed}:${stream}`;
    for (let i = 0; i < text.length; i++) {
      const k = text.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    super(h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.next();
  }

  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** An independent stream derived from this generator's seed and a name. */
  static stream(seed: number, name: string): Rng {
    return new Rng(seed, name);
  }
}

/**
 * First-order autoregressive noise with a given stationary std, defined per 1 s of simulated
 * time so its statistics do not depend on the update step: phi(dt) = phi1s^dt.
 */
export class Ar1 {
  private x = 0;
  constructor(
    private readonly rng: Rng,
    /** Stationary standard deviation. */
    readonly std: number,
    /** Lag-1 autocorrelation at a 1 s step (0 = white noise). */
    readonly phi1s: number,
  ) {
    this.x = std * rng.normal();
  }

  step(dtSeconds: number): number {
    const phi = this.phi1s <= 0 ? 0 : Math.pow(this.phi1s, dtSeconds);
    this.x = phi * this.x + this.std * Math.sqrt(1 - phi * phi) * this.rng.normal();
    return this.x;
  }

  get value(): number {
    return this.x;
  }
}

/**
 * Slow drift: an AR(1) process (time constant tau) smoothed by a second first-order lag with the
 * same tau. Real thermal drift is smooth (SKAB's thermocouple moves 0.7 degC over hours yet only
 * 0.013 degC around its 2-minute mean), which a plain AR(1) of that size cannot reproduce.
 */
export class SmoothDrift {
  private readonly source: Ar1;
  private x: number;
  constructor(
    rng: Rng,
    /** Stationary standard deviation. */
    readonly std: number,
    private readonly tauS: number,
  ) {
    // A first-order lag halves the variance of an AR(1) with the same time constant: scale by sqrt 2.
    this.source = new Ar1(rng, std * Math.SQRT2, Math.exp(-1 / tauS));
    this.x = this.source.value / Math.SQRT2;
  }

  step(dtSeconds: number): number {
    const s = this.source.step(dtSeconds);
    this.x += (s - this.x) * (1 - Math.exp(-dtSeconds / this.tauS));
    return this.x;
  }
}
