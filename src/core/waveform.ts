/**
 * A waveform block: one acquisition of a vibration (or current, acoustic...) sensor, e.g. 2048 to
 * 20480 points at 20 kHz, delivered as one value of one tag (an OPC-UA numeric array variable).
 *
 * An object rather than a bare Float64Array so that a source that knows the block's sampling rate
 * can say so (the pipeline then checks it against the channel's configured rate), and so that the
 * value describes itself in logs, the status line and any JSON it ends up in as a short summary
 * (length, RMS) instead of tens of thousands of numbers.
 */
export class Waveform {
  /** `samples` is kept, not copied: the caller hands over an array it no longer writes. */
  constructor(
    readonly samples: Float64Array,
    /** Sampling rate in Hz when the source knows it (absent: the channel's configured rate). */
    readonly sampleRateHz?: number,
  ) {}

  get length(): number {
    return this.samples.length;
  }

  /** RMS of the block (NaN when empty or when a value is not finite). */
  rms(): number {
    const x = this.samples;
    if (x.length === 0) return NaN;
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * x[i];
    return Math.sqrt(s / x.length);
  }

  /** The summary any JSON serialisation of a Sample carrying this block gets (never the samples). */
  toJSON(): { waveform: number; rms: number | null; sampleRateHz?: number } {
    const r = this.rms();
    const out: { waveform: number; rms: number | null; sampleRateHz?: number } = { waveform: this.samples.length, rms: Number.isFinite(r) ? r : null };
    if (this.sampleRateHz !== undefined) out.sampleRateHz = this.sampleRateHz;
    return out;
  }

  /** e.g. `waveform[2048 rms 0.7071]` (status line, log messages). */
  toString(): string {
    const r = this.rms();
    return `waveform[${this.samples.length} rms ${Number.isFinite(r) ? Number(r.toPrecision(4)) : 'n/a'}]`;
  }
}

export function isWaveform(v: unknown): v is Waveform {
  return v instanceof Waveform;
}
