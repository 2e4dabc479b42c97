import type { Sample } from '../core/sample';
import { isWaveform } from '../core/waveform';
import { FeaturePlan, type ChannelSeries, type FeatureName } from '../features/compute';
import type { WaveformChannelConfig } from './waveform-config';

/** Why a block gave no features (each is counted; the message names the tag and the fix). */
export type BlockProblem = 'bad' | 'type' | 'length' | 'rate' | 'nonfinite';

/** Plain counters of one asset's waveform channels (summed over them), for stats(). */
export interface WaveformStats {
  /** Blocks whose features were computed (one found late afterwards is also counted in lateSamples). */
  readonly waveformBlocks: number;
  readonly waveformBlocksBad: number;
  /** Values of a waveform channel that were not a block (a scalar, text, ...). */
  readonly waveformBlocksNotWaveform: number;
  readonly waveformBlocksWrongLength: number;
  readonly waveformBlocksWrongRate: number;
  /** Blocks holding a NaN or infinite sample. */
  readonly waveformBlocksNonFinite: number;
  /** Blocks whose features came out non-finite (overflow on huge samples). */
  readonly waveformFeaturesNonFinite: number;
  /** Samples analysed, summed over blocks. */
  readonly waveformPoints: number;
}

/**
 * One waveform channel: each block of its tag -> the features of that block (time-domain and
 * spectral at the block's sampling rate, through the same FeaturePlan the windows use), in `keys`
 * order in `values`. A bad, mistyped, wrong-length, wrong-rate or non-finite block gives none.
 */
export class WaveformChannel {
  /** Feature keys, in the order of `values` (and of the grid channels `<name>.<key>`). */
  readonly keys: readonly string[];
  /** The features of the last block analyse() accepted. */
  readonly values: Float64Array;
  blocks = 0;
  bad = 0;
  notWaveform = 0;
  wrongLength = 0;
  wrongRate = 0;
  nonFinite = 0;
  nonFiniteFeatures = 0;
  points = 0;
  private readonly plan: FeaturePlan;
  private times = new Float64Array(0);

  constructor(
    readonly name: string,
    readonly tag: string,
    /** First grid column of this channel's features (they are consecutive). */
    readonly col0: number,
    private readonly cfg: WaveformChannelConfig,
  ) {
    this.plan = new FeaturePlan(cfg.features as FeatureName[], cfg.bands);
    this.keys = this.plan.keys;
    this.values = new Float64Array(this.keys.length);
  }

  /**
   * The features of the block `s` carries into `values`; undefined when done, else the problem and
   * a message naming the tag, the channel and what to change (the block is counted either way).
   */
  analyse(s: Sample): { problem: BlockProblem; message: string } | undefined {
    const at = `tag ${this.tag} (waveform channel ${this.name})`;
    if (s.quality === 'bad') {
      this.bad++;
      return { problem: 'bad', message: `${at}: bad-quality block${s.status ? ` (${s.status.text})` : ''}; no features` };
    }
    const v = s.value;
    if (!isWaveform(v)) {
      this.notWaveform++;
      return { problem: 'type', message: `${at}: value ${JSON.stringify(v)} is not a waveform block (a numeric array); check that the tag is the sensor's array variable, or remove the channel from waveforms` };
    }
    const x = v.samples;
    const want = this.cfg.length;
    if (want !== undefined ? x.length !== want : x.length < this.cfg.minLength) {
      this.wrongLength++;
      const expected = want !== undefined ? `length ${want}` : `at least minLength ${this.cfg.minLength}`;
      return { problem: 'length', message: `${at}: block of ${x.length} samples, expected ${expected}; no features (set waveforms.${this.name}.length to the sensor's block size)` };
    }
    if (v.sampleRateHz !== undefined && v.sampleRateHz !== this.cfg.sampleRateHz) {
      this.wrongRate++;
      return { problem: 'rate', message: `${at}: block sampled at ${v.sampleRateHz} Hz, configured sampleRateHz ${this.cfg.sampleRateHz}; no features (fix waveforms.${this.name}.sampleRateHz)` };
    }
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) {
        this.nonFinite++;
        return { problem: 'nonfinite', message: `${at}: block of ${x.length} samples holds a non-finite value ${String(x[i])} at index ${i}; no features` };
      }
    }
    const r = this.plan.make(this.series(x), x.length);
    const keys = this.keys;
    for (let k = 0; k < keys.length; k++) this.values[k] = r[keys[k]];
    if (!this.plan.finite) {
      for (let k = 0; k < keys.length; k++) {
        if (!Number.isFinite(this.values[k])) {
          this.nonFiniteFeatures++;
          return { problem: 'nonfinite', message: `${at}: feature ${keys[k]} of a block of ${x.length} samples came out ${String(this.values[k])} (samples too large?); no features` };
        }
      }
    }
    this.blocks++;
    this.points += x.length;
    return undefined;
  }

  /** The block as FeaturePlan reads it: every sample usable and evenly spaced (times in s, for the slope). */
  private series(x: Float64Array): ChannelSeries {
    const fs = this.cfg.sampleRateHz;
    if (this.plan.needsTimes && this.times.length !== x.length) this.times = Float64Array.from({ length: x.length }, (_, i) => i / fs);
    return { values: x, times: this.times, even: x, fs };
  }
}

/**
 * How an asset's inputs map to its frame grid when some channels are waveforms. Inputs (what
 * sourceTags lists, what a router's channel index means) are the scalar channels in `tags` order,
 * then the waveform channels: a scalar input's index is its grid column, so numbers keep their
 * direct path; an index >= `scalars` is a waveform channel (channel(c)), whose features fill
 * consecutive grid columns after the scalar ones.
 */
export class WaveformInputs {
  readonly inputs: readonly string[];
  readonly tagOf: readonly string[];
  /** Inputs [0, scalars) are scalar channels; the others are waveform channels. */
  readonly scalars: number;
  private readonly waves: readonly WaveformChannel[];

  constructor(tags: Readonly<Record<string, string>>, waveforms: Readonly<Record<string, WaveformChannelConfig>>) {
    const names = Object.keys(tags);
    const scalar = names.filter((ch) => !Object.hasOwn(waveforms, ch));
    const wave = names.filter((ch) => Object.hasOwn(waveforms, ch));
    this.inputs = [...scalar, ...wave];
    this.tagOf = this.inputs.map((ch) => tags[ch]);
    this.scalars = scalar.length;
    let col = scalar.length;
    this.waves = wave.map((ch) => {
      const w = new WaveformChannel(ch, tags[ch], col, waveforms[ch]);
      col += w.keys.length;
      return w;
    });
  }

  /** The waveform channel of input c (c >= scalars). */
  channel(c: number): WaveformChannel {
    return this.waves[c - this.scalars];
  }

  stats(): WaveformStats {
    let blocks = 0, bad = 0, notWaveform = 0, wrongLength = 0, wrongRate = 0, nonFinite = 0, nonFiniteFeatures = 0, points = 0;
    for (const w of this.waves) {
      blocks += w.blocks;
      bad += w.bad;
      notWaveform += w.notWaveform;
      wrongLength += w.wrongLength;
      wrongRate += w.wrongRate;
      nonFinite += w.nonFinite;
      nonFiniteFeatures += w.nonFiniteFeatures;
      points += w.points;
    }
    return {
      waveformBlocks: blocks, waveformBlocksBad: bad, waveformBlocksNotWaveform: notWaveform, waveformBlocksWrongLength: wrongLength,
      waveformBlocksWrongRate: wrongRate, waveformBlocksNonFinite: nonFinite, waveformFeaturesNonFinite: nonFiniteFeatures, waveformPoints: points,
    };
  }
}
