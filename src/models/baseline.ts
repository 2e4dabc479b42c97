import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CELL_MISSING } from '../assets/frame';
import type { RawWindow } from '../assets/frame';
import { ScoreError } from './errors';

/**
 * Per-asset baseline calibration (manifest normalization `baseline`): a model trained on
 * per-run z-scores (SKAB's protocol: each run standardised with its own anomaly-free start) sees,
 * on a gateway, its asset's own first `frames` good frames as that start. Each channel's mean and
 * std over them become the z-score. The result is kept on disk, so a restart does not recalibrate
 * on what may by then be a faulty machine; delete the file to recalibrate after maintenance.
 */
export interface BaselineFile {
  readonly asset: string;
  readonly model: string;
  readonly channels: readonly string[];
  readonly frames: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly from: number;
  readonly to: number;
}

/** A window was scored while the baseline is still being learned: not a fault, no score yet. */
export class CalibratingError extends ScoreError {
  /**
   * Thrown for every window of an asset until its baseline is in (hundreds at a gateway's first
   * start), and never a fault: made without a stack trace, which would cost more than scoring.
   */
  static progress(model: string, asset: string, done: number, of: number): CalibratingError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new CalibratingError(`model ${model}`, `calibrating its baseline on asset ${asset}: ${done}/${of} frames`);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

export class BaselineCalibrator {
  private readonly n: Float64Array;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  private lastTs = -Infinity;
  private firstTs = NaN;
  private done: BaselineFile | undefined;
  private norm: { offset: Float64Array; scale: Float64Array } | undefined;

  constructor(
    private readonly opts: { asset: string; model: string; channels: readonly string[]; frames: number; minStd: readonly number[]; file?: string },
  ) {
    const w = opts.channels.length;
    this.n = new Float64Array(w);
    this.mean = new Float64Array(w);
    this.m2 = new Float64Array(w);
    this.done = opts.file ? readBaseline(opts.file, opts) : undefined;
  }

  get ready(): boolean {
    return this.done !== undefined;
  }

  get result(): BaselineFile | undefined {
    return this.done;
  }

  /** Frames counted so far (the smallest per-channel count of good values). */
  progress(): number {
    return this.done ? this.opts.frames : Math.min(...this.n);
  }

  /**
   * Feeds the window's frames not seen before (windows slide and overlap); returns the offsets and
   * scales once enough frames are in, else throws CalibratingError naming the progress.
   */
  observe(raw: RawWindow, channelIndex: readonly number[]): { offset: Float64Array; scale: Float64Array } {
    if (!this.done) {
      const ch = raw.channels.length;
      for (let i = 0; i < raw.frames; i++) {
        const t = raw.ts[i];
        if (!(t > this.lastTs)) continue;
        this.lastTs = t;
        if (Number.isNaN(this.firstTs)) this.firstTs = t;
        channelIndex.forEach((c, j) => {
          const cell = i * ch + c;
          if (raw.cells[cell] === CELL_MISSING) return;
          const v = raw.values[cell];
          this.n[j]++;
          const d = v - this.mean[j];
          this.mean[j] += d / this.n[j];
          this.m2[j] += d * (v - this.mean[j]);
        });
      }
      if (this.progress() < this.opts.frames) {
        throw CalibratingError.progress(this.opts.model, this.opts.asset, this.progress(), this.opts.frames);
      }
      // Population std, as the training pipeline computes it (src/ml/skab-data.ts channelStats).
      const std = Array.from(this.m2, (m, j) => Math.sqrt(m / this.n[j]));
      this.done = { asset: this.opts.asset, model: this.opts.model, channels: this.opts.channels, frames: this.opts.frames, mean: Array.from(this.mean), std, from: this.firstTs, to: this.lastTs };
      if (this.opts.file) writeBaseline(this.opts.file, this.done);
    }
    if (!this.norm) {
      const b = this.done;
      // A channel that barely moved during calibration would blow up every later deviation: floor its std.
      this.norm = { offset: Float64Array.from(b.mean), scale: Float64Array.from(b.std, (s, j) => 1 / Math.max(s, this.opts.minStd[j] ?? 0, 1e-12)) };
    }
    return this.norm;
  }
}

export function baselinePath(dir: string, asset: string, model: string): string {
  return join(dir, 'baselines', asset, `${model}.json`);
}

function readBaseline(file: string, want: { asset: string; channels: readonly string[] }): BaselineFile | undefined {
  let b: BaselineFile;
  try {
    b = JSON.parse(readFileSync(file, 'utf8')) as BaselineFile;
  } catch {
    return undefined; // absent or unreadable: calibrate again
  }
  const same = b.asset === want.asset && b.channels.length === want.channels.length && b.channels.every((c, i) => c === want.channels[i]);
  return same && b.mean.every(Number.isFinite) && b.std.every(Number.isFinite) ? b : undefined;
}

function writeBaseline(file: string, b: BaselineFile): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(b, null, 2)}\n`);
  renameSync(tmp, file);
}
