import FFT from 'fft.js';

/**
 * Spectral features of an evenly sampled channel (fft.js, radix-4, so the FFT size is a power of
 * two). Conventions, mirrored by the numpy check in test/interop/features-numpy.test.ts:
 * - the mean is removed, then the signal is zero-padded to nfft = the next power of two >= n;
 * - one-sided power P[k] = c_k |X[k]|^2 / (n * nfft), c_k = 2 except at DC and Nyquist, so that
 *   sum(P) equals the variance of the signal (Parseval) and a band energy is the variance in it;
 * - frequencies f[k] = k * fs / nfft for k = 0..nfft/2;
 * - dominant frequency: the f[k] of the largest P[k], k >= 1;
 * - spectral kurtosis: the fourth standardized moment of frequency weighted by P (the spectral
 *   shape statistic, not Antoni's STFT-based SK); 0 when the spectrum has no spread (one line or none).
 */
export interface Spectrum {
  readonly freqs: Float64Array;
  readonly power: Float64Array;
  readonly fs: number;
}

const ffts = new Map<number, { fft: FFT; out: number[]; input: number[] }>();

function fftOf(size: number): { fft: FFT; out: number[]; input: number[] } {
  let f = ffts.get(size);
  if (!f) {
    const fft = new FFT(size);
    f = { fft, out: fft.createComplexArray() as number[], input: new Array<number>(size).fill(0) };
    ffts.set(size, f);
  }
  return f;
}

export function nextPow2(n: number): number {
  let p = 4;
  while (p < n) p *= 2;
  return p;
}

export function powerSpectrum(x: Float64Array, fs: number): Spectrum {
  const n = x.length;
  if (n < 2) return { freqs: new Float64Array(0), power: new Float64Array(0), fs };
  const nfft = nextPow2(n);
  const { fft, out, input } = fftOf(nfft);
  let mu = 0;
  for (let i = 0; i < n; i++) mu += x[i];
  mu /= n;
  for (let i = 0; i < n; i++) input[i] = x[i] - mu;
  input.fill(0, n);
  fft.realTransform(out, input);
  const half = nfft / 2;
  const power = new Float64Array(half + 1);
  const freqs = new Float64Array(half + 1);
  const scale = 1 / (n * nfft);
  for (let k = 0; k <= half; k++) {
    const re = out[2 * k];
    const im = out[2 * k + 1];
    power[k] = (re * re + im * im) * scale * (k === 0 || k === half ? 1 : 2);
    freqs[k] = (k * fs) / nfft;
  }
  return { freqs, power, fs };
}

/** Energy (variance) in [lo, hi) Hz. */
export function bandEnergy(s: Spectrum, lo: number, hi: number): number {
  let e = 0;
  for (let k = 0; k < s.power.length; k++) if (s.freqs[k] >= lo && s.freqs[k] < hi) e += s.power[k];
  return e;
}

export function dominantFrequency(s: Spectrum): number {
  let best = 0;
  let at = 0;
  for (let k = 1; k < s.power.length; k++) {
    if (s.power[k] > best) {
      best = s.power[k];
      at = s.freqs[k];
    }
  }
  return at;
}

export function spectralKurtosis(s: Spectrum): number {
  let total = 0;
  let m1 = 0;
  for (let k = 0; k < s.power.length; k++) {
    total += s.power[k];
    m1 += s.freqs[k] * s.power[k];
  }
  if (total === 0) return 0;
  const centroid = m1 / total;
  let m2 = 0;
  let m4 = 0;
  for (let k = 0; k < s.power.length; k++) {
    const d = s.freqs[k] - centroid;
    const d2 = d * d;
    m2 += d2 * s.power[k];
    m4 += d2 * d2 * s.power[k];
  }
  m2 /= total;
  m4 /= total;
  // A single spectral line has zero spread; round-off leaves m2 ~ 1e-28 and a meaningless ratio.
  const nyquist = s.fs / 2;
  return m2 <= 1e-18 * nyquist * nyquist ? 0 : m4 / (m2 * m2);
}
