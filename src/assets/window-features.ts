import { channelFeatures, type FeatureName } from '../features/compute';
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
 * mean removal, i.e. it adds no energy).
 */
export function windowFeatures(
  w: RawWindow,
  names: readonly FeatureName[],
  bands: readonly (readonly [number, number])[],
  frameMs: number,
): WindowFeatures {
  const ch = w.channels.length;
  const n = w.frames;
  const features: Record<string, Record<string, number>> = {};
  const missingChannels: string[] = [];
  let nonFinite = 0;
  const values = new Float64Array(n);
  const times = new Float64Array(n);
  const even = new Float64Array(n);
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
    const f = channelFeatures({ values: values.subarray(0, k), times: times.subarray(0, k), even, fs: 1000 / frameMs }, names, bands);
    for (const key of Object.keys(f)) {
      if (!Number.isFinite(f[key])) {
        delete f[key];
        nonFinite++;
      }
    }
    features[w.channels[c]] = f;
  }
  return { features, missingChannels, nonFinite };
}
