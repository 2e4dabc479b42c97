import { slope, timeStats } from './stats';
import { bandEnergy, dominantFrequency, powerSpectrum, spectralKurtosis } from './spectral';

/** The feature names an asset config can ask for (src/assets/config.ts re-uses this list). */
export const FEATURE_NAMES = [
  'mean', 'std', 'rms', 'min', 'max', 'p2p', 'crest', 'kurtosis', 'skewness', 'slope', 'last',
  'band_energy', 'dominant_freq', 'spectral_kurtosis',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

const TIME_STATS = new Set<FeatureName>(['mean', 'std', 'rms', 'min', 'max', 'p2p', 'crest', 'kurtosis', 'skewness']);
const SPECTRAL = new Set<FeatureName>(['band_energy', 'dominant_freq', 'spectral_kurtosis']);

export interface ChannelSeries {
  /** Usable values only (missing and bad cells removed), in time order. */
  readonly values: Float64Array;
  /** Time of each value in seconds (any origin), for the slope. */
  readonly times: Float64Array;
  /** The evenly sampled series for spectra: every frame, gaps already replaced. */
  readonly even: Float64Array;
  /** Sampling rate of `even`, Hz. */
  readonly fs: number;
}

/** Band energy keys: `band_energy_<lo>_<hi>` (Hz). */
export function bandKey(lo: number, hi: number): string {
  return `band_energy_${lo}_${hi}`;
}

/**
 * The requested features of one channel. Every value is finite when `values` is non-empty;
 * the caller must not call this for a channel with no usable value.
 */
export function channelFeatures(
  s: ChannelSeries,
  names: readonly FeatureName[],
  bands: readonly (readonly [number, number])[] = [],
): Record<string, number> {
  const out: Record<string, number> = {};
  let stats: ReturnType<typeof timeStats> | undefined;
  let spectral = false;
  for (const n of names) {
    if (TIME_STATS.has(n)) {
      stats ??= timeStats(s.values);
      out[n] = stats[n as keyof typeof stats];
    } else if (n === 'slope') out.slope = slope(s.values, s.times);
    else if (n === 'last') out.last = s.values[s.values.length - 1];
    else if (SPECTRAL.has(n)) spectral = true;
  }
  if (spectral) {
    const spec = powerSpectrum(s.even, s.fs);
    if (names.includes('band_energy')) for (const [lo, hi] of bands) out[bandKey(lo, hi)] = bandEnergy(spec, lo, hi);
    if (names.includes('dominant_freq')) out.dominant_freq = dominantFrequency(spec);
    if (names.includes('spectral_kurtosis')) out.spectral_kurtosis = spectralKurtosis(spec);
  }
  return out;
}
