import { bandKey, channelFeatures, type FeatureName } from '../features/compute';
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
 * from window to window (this runs for every window of every asset).
 */
export class WindowFeaturizer {
  private values: Float64Array;
  private times: Float64Array;
  private even: Float64Array;
  /** The keys a channel's feature record has (band energies expanded). */
  private readonly keys: string[];

  constructor(
    private readonly names: readonly FeatureName[],
    private readonly bands: readonly (readonly [number, number])[],
    private readonly frameMs: number,
  ) {
    this.values = new Float64Array(0);
    this.times = new Float64Array(0);
    this.even = new Float64Array(0);
    this.keys = names.flatMap((n) => (n === 'band_energy' ? bands.map(([lo, hi]) => bandKey(lo, hi)) : [n]));
  }

  compute(w: RawWindow): WindowFeatures {
    const ch = w.channels.length;
    const n = w.frames;
    if (this.even.length !== n) {
      this.values = new Float64Array(n);
      this.times = new Float64Array(n);
      this.even = new Float64Array(n);
    }
    const { values, times, even } = this;
    const features: Record<string, Record<string, number>> = {};
    const missingChannels: string[] = [];
    let nonFinite = 0;
    for (let c = 0; c < ch; c++) {
      let k = 0;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        if (w.cells[i * ch + c] === CELL_MISSING) continue;
        const v = w.values[i * ch + c];
        values[k] = v;
        times[k] = (w.ts[i] - w.start) / 1000;
        sum += v;
        k++;
      }
      if (k === 0) {
        missingChannels.push(w.channels[c]);
        continue;
      }
      const mu = sum / k;
      for (let i = 0; i < n; i++) even[i] = w.cells[i * ch + c] === CELL_MISSING ? mu : w.values[i * ch + c];
      const full = k === n;
      const f = channelFeatures({ values: full ? values : values.subarray(0, k), times: full ? times : times.subarray(0, k), even, fs: 1000 / this.frameMs }, this.names, this.bands);
      for (const key of this.keys) {
        if (key in f && !Number.isFinite(f[key])) {
          delete f[key];
          nonFinite++;
        }
      }
      features[w.channels[c]] = f;
    }
    return { features, missingChannels, nonFinite };
  }
}
