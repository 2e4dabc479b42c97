import { iso } from '../core/clock';
import { assetChannels, assetWindowFrames, type AssetConfig } from '../assets/config';
import { CELL_MISSING } from '../assets/frame';
import type { AnalyzedWindow } from '../assets/types';
import { bandKey } from '../features/compute';
import { ModelRejectedError, ScoreError } from './errors';
import type { ManifestInput } from './manifest';
import { BaselineCalibrator, baselinePath } from './baseline';
import { NormalizedRows } from './normalized-rows';

/**
 * How one model input is filled from one asset's windows, worked out once when a model version is
 * bound to an asset (so a mismatch is found before any window, naming the model, the input and the
 * asset), then applied per window into a row of the batch tensor.
 */
export interface InputPlan {
  readonly name: string;
  readonly layout: 'frames' | 'features';
  /** Values per window (product of the non-batch dimensions). */
  readonly rowSize: number;
  /** frames layout: window channel index of each model channel. */
  readonly channelIndex: readonly number[];
  /** frames layout: the model reads every channel of the asset, in the asset's order. */
  readonly sameOrder: boolean;
  readonly frames: number;
  /** features layout: [channel, feature] of each position. */
  readonly features: readonly (readonly [string, string])[];
  /** Normalization per channel (frames) or per feature: (x - offset) * scale. */
  offset: Float64Array;
  scale: Float64Array;
  /** `baseline` normalization: learns offset and scale from the asset's first frames. */
  readonly baseline?: BaselineCalibrator;
  /** frames layout over sliding windows: the rows the last window already normalized. */
  readonly rows?: NormalizedRows;
}

/** `[-1, 10, 8]` */
export function fmtShape(s: readonly (number | string)[]): string {
  return `[${s.join(', ')}]`;
}

/** Where baselines are kept (`<installDir>`), or none: calibrate in memory only. */
export interface PlanContext {
  readonly baselineDir?: string;
}

export function planInput(model: string, input: ManifestInput, a: AssetConfig, ctx: PlanContext = {}): InputPlan {
  const subject = `model ${model}`;
  const fail = (msg: string): never => {
    throw new ModelRejectedError(subject, 'binding', `input '${input.name}' on asset ${a.id}: ${msg}`);
  };
  const dims = input.shape.slice(1);
  const rowSize = dims.reduce((p, d) => p * d, 1);
  // the frame grid's columns: scalar tags, then each waveform's feature channels (<channel>.<feature>)
  const channels = assetChannels(a);
  let channelIndex: number[] = [];
  let frames = 0;
  let features: [string, string][] = [];
  let width: number;
  if (input.layout === 'frames') {
    const names = input.channels ?? channels;
    channelIndex = names.map((n) => {
      const i = channels.indexOf(n);
      if (i < 0) fail(`channel '${n}' is not a channel of the asset (asset channels: ${channels.join(', ')})`);
      return i;
    });
    frames = input.frames ?? (dims.length === 2 && dims[0] > 0 ? dims[0] : assetWindowFrames(a));
    const have = assetWindowFrames(a);
    if (frames !== have) fail(`the model reads windows of ${frames} frames but the asset's window holds ${have}`);
    width = names.length;
    if (dims.some((d) => d <= 0) || rowSize !== frames * width) {
      fail(`shape ${fmtShape(input.shape)} does not hold a window of ${frames} frames x ${width} channels (expected ${fmtShape([-1, frames, width])})`);
    }
  } else {
    const names = input.features ?? [];
    if (names.length === 0) fail('features layout needs the list of <channel>.<feature> names');
    const computed = new Set<string>(a.features.flatMap((f) => (f === 'band_energy' ? a.spectral.bands.map(([lo, hi]) => bandKey(lo, hi)) : [f])));
    features = names.map((n) => {
      const dot = n.lastIndexOf('.');
      const ch = n.slice(0, dot);
      const feat = n.slice(dot + 1);
      if (dot <= 0 || !channels.includes(ch)) fail(`feature '${n}' names no channel of the asset (asset channels: ${channels.join(', ')})`);
      if (!computed.has(feat)) fail(`feature '${n}': the asset does not compute '${feat}' (assets[].features: ${[...computed].join(', ')})`);
      return [ch, feat];
    });
    width = names.length;
    if (dims.some((d) => d <= 0) || rowSize !== width) {
      fail(`shape ${fmtShape(input.shape)} does not hold ${width} features (expected ${fmtShape([-1, width])})`);
    }
  }
  const offset = new Float64Array(width);
  const scale = new Float64Array(width).fill(1);
  const n = input.normalization;
  let baseline: BaselineCalibrator | undefined;
  if (n.type === 'baseline') {
    if (input.layout !== 'frames') fail('baseline normalization needs the frames layout');
    if (n.minStd.length !== width) fail(`baseline normalization has ${n.minStd.length} minStd values for ${width} channels`);
    const id = model.split('@')[0]!;
    baseline = new BaselineCalibrator({
      asset: a.id,
      model: id,
      channels: input.channels ?? channels,
      frames: n.frames,
      minStd: n.minStd,
      file: ctx.baselineDir ? baselinePath(ctx.baselineDir, a.id, id) : undefined,
    });
  } else if (n.type !== 'none') {
    const [lo, span] = n.type === 'zscore' ? [n.mean, n.std] : [n.min, n.max.map((m, i) => m - n.min[i])];
    if (lo.length !== width || span.length !== width) fail(`${n.type} normalization has ${lo.length}/${span.length} values for ${width} ${input.layout === 'frames' ? 'channels' : 'features'}`);
    for (let i = 0; i < width; i++) {
      offset[i] = lo[i];
      // A constant training channel has zero spread: pass its deviation through unscaled.
      scale[i] = span[i] === 0 ? 1 : 1 / span[i];
    }
  }
  const sameOrder = channelIndex.length === channels.length && channelIndex.every((c, j) => c === j);
  const sliding = input.layout === 'frames' && (a.window.step ?? a.window.size) < a.window.size;
  const rows = sliding ? new NormalizedRows(frames, width) : undefined;
  return { name: input.name, layout: input.layout, rowSize, channelIndex, sameOrder, frames, features, offset, scale, baseline, rows };
}

/** Writes the window's normalized values into `out` at `at`; throws ScoreError when it cannot. */
export function assemble(model: string, plan: InputPlan, w: AnalyzedWindow, out: Float32Array, at: number): void {
  if (plan.layout === 'features') {
    for (let i = 0; i < plan.features.length; i++) {
      const [ch, feat] = plan.features[i];
      const v = w.result.features[ch]?.[feat];
      if (v === undefined) throw new ScoreError(`model ${model}`, `input '${plan.name}': window ${iso(w.result.start)} of asset ${w.result.asset} has no ${ch}.${feat} (channel without usable values)`);
      out[at + i] = (v - plan.offset[i]) * plan.scale[i];
    }
    return;
  }
  const raw = w.raw;
  const ch = raw.channels.length;
  if (raw.frames !== plan.frames) {
    throw new ScoreError(`model ${model}`, `input '${plan.name}': window has shape ${fmtShape([1, raw.frames, plan.channelIndex.length])}, the model wants ${fmtShape([-1, plan.frames, plan.channelIndex.length])}`);
  }
  if (plan.baseline) {
    const norm = plan.baseline.observe(raw, plan.channelIndex);
    plan.offset = norm.offset;
    plan.scale = norm.scale;
  }
  const width = plan.channelIndex.length;
  const { values, cells } = raw;
  const { channelIndex, offset, scale } = plan;
  if (w.result.coverage === 1) {
    // Every cell holds a value (coverage is the share that do): nothing to check or fill in.
    if (plan.rows) {
      plan.rows.write(raw, channelIndex, offset, scale, out, at);
      return;
    }
    if (plan.sameOrder) {
      const n = raw.frames * width;
      for (let i = 0, j = 0; i < n; i++) {
        out[at + i] = (values[i] - offset[j]) * scale[j];
        if (++j === width) j = 0;
      }
      return;
    }
    for (let i = 0; i < raw.frames; i++) {
      const row = i * ch;
      const to = at + i * width;
      for (let j = 0; j < width; j++) out[to + j] = (values[row + channelIndex[j]] - offset[j]) * scale[j];
    }
    return;
  }
  // A missing cell takes the channel's mean over the window: the least surprising value. The means
  // are only worked out when the window has a missing cell.
  let means: Float64Array | undefined;
  for (let i = 0; i < raw.frames; i++) {
    const row = i * ch;
    const to = at + i * width;
    for (let j = 0; j < width; j++) {
      const cell = row + channelIndex[j];
      let v = values[cell];
      if (cells[cell] === CELL_MISSING) v = (means ??= channelMeans(model, plan, w))[j];
      out[to + j] = (v - offset[j]) * scale[j];
    }
  }
}

/** Per model channel: its mean over the cells holding a value; throws when a channel has none. */
function channelMeans(model: string, plan: InputPlan, w: AnalyzedWindow): Float64Array {
  const raw = w.raw;
  const ch = raw.channels.length;
  const means = new Float64Array(plan.channelIndex.length);
  for (let j = 0; j < plan.channelIndex.length; j++) {
    const c = plan.channelIndex[j];
    let sum = 0;
    let k = 0;
    for (let i = 0; i < raw.frames; i++) {
      if (raw.cells[i * ch + c] !== CELL_MISSING) {
        sum += raw.values[i * ch + c];
        k++;
      }
    }
    if (k === 0) throw new ScoreError(`model ${model}`, `input '${plan.name}': channel ${raw.channels[c]} has no usable value in window ${iso(raw.start)} of asset ${w.result.asset}`);
    means[j] = sum / k;
  }
  return means;
}
