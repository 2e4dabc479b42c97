import { literalMaker } from './literal-maker';
import { slope, timeStatsInto, type TimeStats } from './stats';
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
 * A list of features worked out once (which passes are needed, the output keys in order), then
 * applied to channel after channel: the pipeline runs it for every channel of every window, so
 * the per-call cost is the statistics themselves, not the dispatch on names.
 */
export class FeaturePlan {
  /** Output keys in the order they are set (time-domain ones in request order, then spectral). */
  readonly keys: readonly string[];
  /** `times` is read (slope). */
  readonly needsTimes: boolean;
  /** `even` is read (spectral features). */
  readonly needsEven: boolean;
  /**
   * Every feature asked for is one SlidingStats keeps up to date (mean, std, rms, min, max, p2p,
   * crest, last; at least one of them a statistic), so fromStats() can make the records.
   */
  readonly slidable: boolean;
  /** `finite` of the last make() / fromStats(). */
  finite = true;
  private readonly stats: boolean;
  private readonly last: boolean;
  private readonly newRecord: (st: TimeStats) => Record<string, number>;
  /** Kurtosis or skewness asked for (the third and fourth moments). */
  private readonly moments: boolean;
  private readonly st: TimeStats = { mean: 0, std: 0, rms: 0, min: 0, max: 0, p2p: 0, crest: 0, kurtosis: 0, skewness: 0 };
  private readonly bands: readonly (readonly [number, number])[];
  private readonly bandKeys: readonly string[];
  private readonly dominant: boolean;
  private readonly spectralKurtosis: boolean;

  constructor(names: readonly FeatureName[], bands: readonly (readonly [number, number])[] = []) {
    const timeKeys: (keyof TimeStats | 'slope' | 'last')[] = [];
    for (const n of names) {
      if ((TIME_STATS.has(n) || n === 'slope' || n === 'last') && !timeKeys.includes(n as keyof TimeStats)) timeKeys.push(n as keyof TimeStats);
    }
    this.last = timeKeys.includes('last');
    this.stats = timeKeys.some((k) => k !== 'slope' && k !== 'last');
    this.moments = timeKeys.includes('kurtosis') || timeKeys.includes('skewness');
    this.needsTimes = timeKeys.includes('slope');
    this.bands = names.includes('band_energy') ? bands : [];
    this.bandKeys = this.bands.map(([lo, hi]) => bandKey(lo, hi));
    this.dominant = names.includes('dominant_freq');
    this.spectralKurtosis = names.includes('spectral_kurtosis');
    this.needsEven = names.some((n) => SPECTRAL.has(n));
    this.slidable = this.stats && !this.moments && !this.needsTimes && !this.needsEven;
    const keys: string[] = [...timeKeys];
    for (const k of [...this.bandKeys, ...(this.dominant ? ['dominant_freq'] : []), ...(this.spectralKurtosis ? ['spectral_kurtosis'] : [])]) {
      if (!keys.includes(k)) keys.push(k);
    }
    this.keys = keys;
    this.newRecord = recordMaker(keys);
  }

  /**
   * The features of one channel. Every value is finite when `values` is non-empty and nothing
   * overflows; the caller must not call this for a channel with no usable value. `times` /
   * `even` are only read when needsTimes / needsEven.
   */
  compute(s: ChannelSeries): Record<string, number> {
    return this.make(s, s.values.length);
  }

  /**
   * Sets the features of values[0..n) (times[0..n)) on `out`, in `keys` order. Returns true when
   * every value set is finite (false: some may not be, e.g. after an overflow).
   */
  fill(out: Record<string, number>, s: ChannelSeries, n: number, src: Float64Array = s.values, off = 0, stride = 1): boolean {
    const r = this.make(s, n, src, off, stride);
    for (const k of this.keys) out[k] = r[k];
    return this.finite;
  }

  /**
   * A new record with the features of values[0..n) (times[0..n)), every key in `keys` order;
   * afterwards `finite` says whether every value in it is finite (false: some may not be, e.g.
   * after an overflow).
   *
   * Without slope and spectra the values may also be read in place, strided: n values of `src`
   * from `off` every `stride` (a channel of a window held [frame][channel]), with no copy.
   */
  make(s: ChannelSeries, n: number, src: Float64Array = s.values, off = 0, stride = 1): Record<string, number> {
    const st = this.st;
    let check = 0;
    if (this.stats) {
      timeStatsInto(src, n, st, this.moments, off, stride);
      check = st.mean + st.std + st.rms + st.min + st.max + st.p2p + st.crest + (this.moments ? st.kurtosis + st.skewness : 0);
    }
    const out = this.newRecord(st);
    if (this.needsTimes) check += out.slope = slope(n === s.values.length ? s.values : s.values.subarray(0, n), n === s.times.length ? s.times : s.times.subarray(0, n));
    if (this.last) check += out.last = src[off + (n - 1) * stride];
    if (this.needsEven) {
      const spec = powerSpectrum(s.even, s.fs);
      for (let b = 0; b < this.bands.length; b++) check += out[this.bandKeys[b]] = bandEnergy(spec, this.bands[b][0], this.bands[b][1]);
      if (this.dominant) check += out.dominant_freq = dominantFrequency(spec);
      if (this.spectralKurtosis) check += out.spectral_kurtosis = spectralKurtosis(spec);
    }
    // A sum of finite values is finite unless it overflows, which only makes the caller check each.
    this.finite = Number.isFinite(check);
    return out;
  }

  /**
   * The record of a slidable plan from statistics worked out elsewhere (a SlidingStats), `last`
   * the channel's last value; sets `finite` as make() does.
   */
  fromStats(st: TimeStats, last: number): Record<string, number> {
    const out = this.newRecord(st);
    let check = st.mean + st.std + st.rms + st.min + st.max + st.p2p + st.crest;
    if (this.last) check += out.last = last;
    this.finite = Number.isFinite(check);
    return out;
  }
}

/**
 * A function making one channel's record as an object literal with every key of `keys` in order,
 * the time statistics read from `st` and every other key 0 (set afterwards by name). Generated
 * once per key list (literalMaker) because a record filled key by key costs a keyed store per value (a literal of 8
 * keys was 15-30x faster than a keyed fill in a Node 20 micro-benchmark; the pipeline makes one
 * record per channel per window). The keys are feature names (a fixed enum, not free text) and
 * band keys built from numbers, quoted with JSON.stringify, so nothing else enters the code.
 */
function recordMaker(keys: readonly string[]): (st: TimeStats) => Record<string, number> {
  return literalMaker<TimeStats, Record<string, number>>('st', keys.map((k) => [k, TIME_STATS.has(k as FeatureName) ? `st.${k}` : '0']));
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
  return new FeaturePlan(names, bands).compute(s);
}
