import type { SampleValue } from '../core/sample';

const NUMBER = 1;
const OTHER = 2;

/**
 * The latest value of each channel that was not bad (for the status line). Numbers, by far the
 * most common, go to a Float64Array: storing a double into a plain array that also holds strings
 * or undefined boxes it, one heap object per sample.
 */
export class LatestValues {
  /** 0: none yet, NUMBER, OTHER. */
  private readonly kind: Uint8Array;
  private readonly num: Float64Array;
  private readonly other: SampleValue[] = [];

  constructor(channels: number) {
    this.kind = new Uint8Array(channels);
    this.num = new Float64Array(channels);
  }

  setNumber(c: number, v: number): void {
    this.kind[c] = NUMBER;
    this.num[c] = v;
  }

  set(c: number, v: SampleValue): void {
    if (typeof v === 'number') {
      this.setNumber(c, v);
      return;
    }
    this.kind[c] = OTHER;
    this.other[c] = v;
  }

  /** channel name -> latest value, for the channels that had one (the first `max` of them). */
  view(channels: readonly string[], max = Infinity): Record<string, SampleValue> {
    const out: Record<string, SampleValue> = {};
    let n = 0;
    for (let c = 0; c < channels.length && n < max; c++) {
      const ch = channels[c] as string;
      if (this.kind[c] === NUMBER) out[ch] = this.num[c] as number;
      else if (this.kind[c] === OTHER) out[ch] = this.other[c] as SampleValue;
      else continue;
      n++;
    }
    return out;
  }
}
