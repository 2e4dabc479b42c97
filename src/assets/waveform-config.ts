import { z } from 'zod';
import { FEATURE_NAMES, FeaturePlan, type FeatureName } from '../features/compute';

/**
 * A channel whose tag delivers waveform blocks (a Waveform value: an OPC-UA numeric array of, say,
 * 2048-20480 points at 20 kHz). Each good block is analysed on its own (time-domain and spectral
 * features at the block's sampling rate); each of its features becomes a scalar channel of the
 * asset's frame grid named `<channel>.<feature>` (src/assets/waveform-channel.ts).
 */
export const waveformChannelConfig = z.strictObject({
  sampleRateHz: z.number().positive().describe('Sampling rate of the blocks, Hz (an OPC-UA array carries none; a block that states another rate is rejected)'),
  length: z.number().int().min(2).optional().describe('Samples per block: a block of any other length is rejected and counted. Absent: any length >= minLength'),
  minLength: z.number().int().min(2).default(16).describe('Shortest block analysed when `length` is absent'),
  features: z.array(z.enum(FEATURE_NAMES)).min(1).default(['rms', 'p2p', 'crest', 'kurtosis', 'dominant_freq'])
    .describe('Features of each block; each becomes the scalar channel <channel>.<feature> (band_energy: <channel>.band_energy_<lo>_<hi> per band)'),
  bands: z.array(z.tuple([z.number().min(0), z.number().positive()])).default([])
    .describe('Frequency bands [lo, hi) in Hz for band_energy, at the block sampling rate'),
});

export const waveformsConfig = z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), waveformChannelConfig)
  .describe('Channels (keys of `tags`) whose tag delivers waveform blocks, with how to analyse them');

export type WaveformChannelConfig = z.infer<typeof waveformChannelConfig>;

/** The keys a waveform channel's block features get (FeaturePlan's order: time-domain, then spectral). */
export function waveformFeatureKeys(w: WaveformChannelConfig): readonly string[] {
  return new FeaturePlan(w.features as FeatureName[], w.bands).keys;
}

/**
 * The asset's frame-grid channels: the scalar channels of `tags` in their order, then each
 * waveform channel's `<channel>.<feature>` channels (waveform channels in `tags` order). A model
 * reading frames sees the channels in this order; an asset without waveforms has exactly its tags.
 */
export function gridChannels(tags: Readonly<Record<string, string>>, waveforms: Readonly<Record<string, WaveformChannelConfig>>): string[] {
  const names = Object.keys(tags);
  const out = names.filter((ch) => !Object.hasOwn(waveforms, ch));
  for (const ch of names) if (Object.hasOwn(waveforms, ch)) for (const k of waveformFeatureKeys(waveforms[ch])) out.push(`${ch}.${k}`);
  return out;
}

type Issue = { path: (string | number)[]; message: string };

/** Checks of an asset's `waveforms` against its `tags`; each issue names its path and the fix. */
export function waveformIssues(tags: Readonly<Record<string, string>>, waveforms: Readonly<Record<string, WaveformChannelConfig>>): Issue[] {
  const issues: Issue[] = [];
  for (const [ch, w] of Object.entries(waveforms)) {
    const at = ['waveforms', ch];
    if (!Object.hasOwn(tags, ch)) {
      issues.push({ path: at, message: `waveform channel "${ch}" is not a channel of the asset: add it to tags (${ch}: <sourceId>/<tagName>) or remove it from waveforms` });
      continue;
    }
    if (w.features.includes('band_energy') && w.bands.length === 0) {
      issues.push({ path: [...at, 'bands'], message: 'feature band_energy needs at least one band, e.g. bands: [[0, 1000]]; or drop band_energy from features' });
    }
    const nyquist = w.sampleRateHz / 2;
    w.bands.forEach(([lo, hi], i) => {
      if (hi <= lo) issues.push({ path: [...at, 'bands', i], message: `band [${lo}, ${hi}) is empty: hi must be above lo` });
      else if (lo > nyquist) issues.push({ path: [...at, 'bands', i], message: `band [${lo}, ${hi}) starts above the Nyquist frequency ${nyquist} Hz (sampleRateHz / 2): it can hold no energy; lower it or raise sampleRateHz` });
    });
  }
  // a derived name may meet a tag channel (or another waveform's): `a.b` + rms vs a channel `a.b.rms`
  const seen = new Set(Object.keys(tags).filter((ch) => !Object.hasOwn(waveforms, ch)));
  for (const ch of Object.keys(tags)) {
    if (!Object.hasOwn(waveforms, ch)) continue;
    for (const k of waveformFeatureKeys(waveforms[ch])) {
      const name = `${ch}.${k}`;
      if (seen.has(name)) issues.push({ path: ['waveforms', ch], message: `feature channel "${name}" of waveform channel "${ch}" has the name of another channel: rename one of them` });
      seen.add(name);
    }
  }
  return issues;
}
