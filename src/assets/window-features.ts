import { FeaturePlan, type ChannelSeries, type FeatureName } from '../features/compute';
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
 */
export class WindowFeaturizer {
  private values: Float64Array;
  private times: Float64Array;
  private even: Float64Array;
  private series: ChannelSeries;
  private readonly plan: FeaturePlan;
  private readonly fs: number;

  constructor(names: readonly FeatureName[], bands: readonly (readonly [number, number])[], frameMs: number) {
    this.values = new Float64Array(0);
    this.times = new Float64Array(0);
    this.even = new Float64Array(0);
    this.plan = new FeaturePlan(names, bands);
    this.fs = 1000 / frameMs;
    this.series = { values: this.values, times: this.times, even: this.even, fs: this.fs };
  }

  /** `full`: the window has no missing cell (its channels are read in place, not gathered). */
  compute(w: RawWindow, full = false): WindowFeatures {
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
    const features: Record<string, Record<string, number>> = {};
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
      if (!plan.finite) {
        for (const key of plan.keys) {
          if (!Number.isFinite(f[key])) {
            delete f[key];
            nonFinite++;
          }
        }
      }
      features[w.channels[c]] = f;
    }
    return { features, missingChannels, nonFinite };
  }
}
