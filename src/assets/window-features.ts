import { FeaturePlan, type ChannelSeries, type FeatureName } from '../features/compute';
import { literalMaker } from '../features/literal-maker';
import { SlidingStats } from '../features/sliding-stats';
import type { TimeStats } from '../features/stats';
import { CELL_MISSING, type RawWindow } from './frame';

export interface WindowFeatures {
  readonly features: Record<string, Record<string, number>>;
  readonly missingChannels: string[];
  /** Features dropped because they came out non-finite (e.g. overflow on huge values). */
  readonly nonFinite: number;
}

/**
 * Per-channel features over the cells that hold a value; missing cells never enter a statistic.
 * Spectra need an even series, so there a missing cell takes the channel's mean (zero after the
 * mean removal, i.e. it adds no energy). One instance per asset: its scratch buffers are reused
 * from window to window (this runs for every window of every asset), and the times and the even
 * series are only built when a requested feature reads them.
 *
 * Windows sliding over one stream (same `stream`, starting less than a window after the last one
 * computed) whose cells all hold a value are worked out from the rows that entered and left
 * (SlidingStats), when every feature asked for allows it; any other window is computed from
 * scratch, and so is a sliding one whenever the running sums are due to be rebuilt.
 */
export class WindowFeaturizer {
  private values: Float64Array;
  private times: Float64Array;
  private even: Float64Array;
  private series: ChannelSeries;
  private readonly plan: FeaturePlan;
  private readonly fs: number;
  private sliding: SlidingStats | undefined;
  /** The sliding sums hold the last window computed. */
  private slidingValid = false;
  /** Stream and start of the last window computed (stream undefined: none to slide from). */
  private lastStream: number | undefined;
  private lastStart = 0;
  private readonly st: TimeStats = { mean: 0, std: 0, rms: 0, min: 0, max: 0, p2p: 0, crest: 0, kurtosis: 0, skewness: 0 };
  /** Each channel's record of the window being computed (channel order). */
  private readonly recs: Record<string, number>[] = [];
  private maker: { channels: readonly string[]; make: FeaturesMaker | undefined } | undefined;
  /** Windows computed from the rows that entered and left / rebuilt from scratch to slide on. */
  slidWindows = 0;
  loadedWindows = 0;

  constructor(names: readonly FeatureName[], bands: readonly (readonly [number, number])[], private readonly frameMs: number) {
    this.values = new Float64Array(0);
    this.times = new Float64Array(0);
    this.even = new Float64Array(0);
    this.plan = new FeaturePlan(names, bands);
    this.fs = 1000 / frameMs;
    this.series = { values: this.values, times: this.times, even: this.even, fs: this.fs };
  }

  /** `full`: the window has no missing cell (its channels are read in place, not gathered). */
  compute(w: RawWindow, full = false): WindowFeatures {
    // frames the window moved on by since the last one computed, when both are of one stream
    const k = w.stream !== undefined && w.stream === this.lastStream ? (w.start - this.lastStart) / this.frameMs : 0;
    this.lastStream = w.stream;
    this.lastStart = w.start;
    const slides = full && this.plan.slidable && k > 0 && k < w.frames && Number.isInteger(k);
    if (!slides) {
      this.slidingValid = false;
      return this.scratch(w, full);
    }
    const ss = this.slidingFor(w);
    if (this.slidingValid && ss.slide(w.values, k)) {
      this.slidWindows++;
      return this.fromSliding(w, ss);
    }
    const out = this.scratch(w, full);
    ss.load(w.values);
    this.slidingValid = true;
    this.loadedWindows++;
    return out;
  }

  /** The SlidingStats for windows shaped like `w` (made anew when the shape changes). */
  private slidingFor(w: RawWindow): SlidingStats {
    const ch = w.channels.length;
    if (!this.sliding || this.sliding.channels !== ch || this.sliding.size !== w.frames) {
      this.sliding = new SlidingStats(ch, w.frames);
      this.slidingValid = false;
    }
    return this.sliding;
  }

  private fromSliding(w: RawWindow, ss: SlidingStats): WindowFeatures {
    const ch = w.channels.length;
    const lastRow = (w.frames - 1) * ch;
    const recs = this.recs;
    if (recs.length !== ch) recs.length = ch; // setting it even unchanged is a runtime call (~0.1 us a window)
    let nonFinite = 0;
    for (let c = 0; c < ch; c++) {
      ss.statsInto(c, this.st);
      const f = this.plan.fromStats(this.st, w.values[lastRow + c]);
      if (!this.plan.finite) nonFinite += dropNonFinite(f, this.plan.keys);
      recs[c] = f;
    }
    return { features: this.byChannel(w.channels, recs), missingChannels: [], nonFinite };
  }

  private scratch(w: RawWindow, full: boolean): WindowFeatures {
    const ch = w.channels.length;
    const n = w.frames;
    if (this.values.length !== n) {
      this.values = new Float64Array(n);
      this.times = new Float64Array(n);
      this.even = new Float64Array(n);
      this.series = { values: this.values, times: this.times, even: this.even, fs: this.fs };
    }
    const { values, times, even, plan } = this;
    const { cells, ts } = w;
    const wv = w.values;
    const inPlace = full && !plan.needsTimes && !plan.needsEven;
    const recs = this.recs;
    recs.length = 0;
    const missingChannels: string[] = [];
    let nonFinite = 0;
    for (let c = 0; c < ch; c++) {
      let k = n;
      if (!inPlace) {
        k = 0;
        let sum = 0;
        for (let i = 0, at = c; i < n; i++, at += ch) {
          if (cells[at] === CELL_MISSING) continue;
          const v = wv[at];
          values[k] = v;
          if (plan.needsTimes) times[k] = (ts[i] - w.start) / 1000;
          sum += v;
          k++;
        }
        if (k === 0) {
          missingChannels.push(w.channels[c]);
          continue;
        }
        if (plan.needsEven) {
          const mu = sum / k;
          for (let i = 0, at = c; i < n; i++, at += ch) even[i] = cells[at] === CELL_MISSING ? mu : wv[at];
        }
      }
      const f = inPlace ? plan.make(this.series, n, wv, c, ch) : plan.make(this.series, k);
      if (!plan.finite) nonFinite += dropNonFinite(f, plan.keys);
      recs.push(f);
    }
    let features: Record<string, Record<string, number>>;
    if (missingChannels.length === 0) features = this.byChannel(w.channels, recs);
    else {
      // channels without a value are left out: the records go to the channels that have one
      features = {};
      for (let c = 0, k = 0; c < ch; c++) if (!missingChannels.includes(w.channels[c])) setKey(features, w.channels[c], recs[k++]);
    }
    // The records now live in the window only. Held here until the asset's next window (a second
    // or more later), they were 28% of the bytes the Modbus ingest bench carried out of V8's young
    // generation: garbage left for the major GC (docs/benchmarks.md, 2026-11-29 21:50).
    recs.length = 0;
    return { features, missingChannels, nonFinite };
  }

  /** The features object of a window with a record for every channel, in channel order. */
  private byChannel(channels: readonly string[], recs: readonly Record<string, number>[]): Record<string, Record<string, number>> {
    if (this.maker?.channels !== channels) this.maker = { channels, make: featuresMaker(channels) };
    const make = this.maker.make;
    if (make) return make(recs);
    const features: Record<string, Record<string, number>> = {};
    for (let c = 0; c < channels.length; c++) setKey(features, channels[c], recs[c]);
    return features;
  }
}

type FeaturesMaker = (recs: readonly Record<string, number>[]) => Record<string, Record<string, number>>;

/**
 * A window's features object made as one object literal of the channel names in order (shared by
 * every featurizer with those names): storing 14 channel names one by one into a new object cost
 * ~700 ns per window (a keyed store each), half the features' time on a window sliding by one
 * frame. A channel named `__proto__` gets no maker (the object is then filled by key).
 */
function featuresMaker(channels: readonly string[]): FeaturesMaker | undefined {
  if (channels.includes('__proto__')) return undefined;
  return literalMaker<readonly Record<string, number>[], Record<string, Record<string, number>>>('recs', channels.map((c, i) => [c, `recs[${i}]`]));
}

/** Deletes the non-finite values of a record (e.g. after an overflow); returns how many. */
function dropNonFinite(f: Record<string, number>, keys: readonly string[]): number {
  let dropped = 0;
  for (const key of keys) {
    if (!Number.isFinite(f[key])) {
      delete f[key];
      dropped++;
    }
  }
  return dropped;
}

/** obj[key] = value, also for the key `__proto__` (which an assignment takes for the prototype). */
function setKey<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
