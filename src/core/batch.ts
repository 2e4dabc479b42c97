import type { Sample } from './sample';

/**
 * The tags a source delivers in a fixed order (a Modbus poll group's reads, an OPC-UA source's
 * node list). A source keeps one layout object per request layout and reuses it for every
 * delivery, so a consumer can precompute per layout (by object identity) where each position goes.
 */
export interface BatchLayout {
  readonly tags: readonly string[];
}

/** Entry kinds of a ColumnBatch (its `kinds` array). */
/** A good-quality number in `values[i]` (with `sourceTs[i]`, `receivedTs[i]`). */
export const ENTRY_VALUE = 0;
/** This entry is the next not-yet-taken Sample of `samples` (bad or uncertain quality, text, booleans, ...). */
export const ENTRY_SAMPLE = 1;
/** Nothing this time (a value held back by a deadband, a read not done). */
export const ENTRY_NONE = 2;

/**
 * One delivery of a source in columns: no object per value. Entry i concerns the layout's tag at
 * position `positions[i]` (or i when positions is absent). Good numbers sit in the typed arrays;
 * anything else travels as a Sample, in entry order (ENTRY_SAMPLE), so a consumer sees the
 * delivery in exactly the order the source produced it. Samples of `samples` not claimed by an
 * ENTRY_SAMPLE entry (a source's "every tag is bad" notice, say) come after the entries. A
 * consumer must not hold on to the batch or its arrays: the source reuses them.
 */
export interface ColumnBatch {
  readonly layout: BatchLayout;
  readonly length: number;
  readonly kinds: Uint8Array;
  readonly positions?: Int32Array;
  readonly values: Float64Array;
  readonly sourceTs: Float64Array;
  readonly receivedTs: Float64Array;
  /** Server time of each ENTRY_VALUE (NaN: none), for sources that have one (OPC-UA); absent otherwise. */
  readonly serverTs?: Float64Array;
  readonly samples: readonly Sample[];
}

const EMPTY_LAYOUT: BatchLayout = { tags: [] };
const NO_BYTES = new Uint8Array(0);
const NO_NUMBERS = new Float64Array(0);

/** A delivery of Sample objects only (a source's notices, a feed without a fixed layout). */
export function samplesBatch(samples: readonly Sample[]): ColumnBatch {
  return { layout: EMPTY_LAYOUT, length: 0, kinds: NO_BYTES, values: NO_NUMBERS, sourceTs: NO_NUMBERS, receivedTs: NO_NUMBERS, samples };
}

/** Values the batch carries (what a source counts as samples) and how many of them are bad. */
export function batchCounts(b: ColumnBatch): { samples: number; bad: number } {
  let n = b.samples.length;
  for (let i = 0; i < b.length; i++) if (b.kinds[i] === ENTRY_VALUE) n++;
  let bad = 0;
  for (const s of b.samples) if (s.quality === 'bad') bad++;
  return { samples: n, bad };
}

/** The batch as Sample objects, in delivery order (for consumers that want objects). */
export function batchSamples(b: ColumnBatch): Sample[] {
  const out: Sample[] = [];
  const { kinds, positions, values, sourceTs, receivedTs, serverTs, samples } = b;
  const tags = b.layout.tags;
  let next = 0;
  for (let i = 0; i < b.length; i++) {
    const kind = kinds[i];
    if (kind === ENTRY_VALUE) {
      const tag = tags[positions ? (positions[i] as number) : i] as string;
      const s: Sample = { tag, value: values[i] as number, sourceTs: sourceTs[i] as number, receivedTs: receivedTs[i] as number, quality: 'good' };
      const srv = serverTs?.[i];
      out.push(srv === undefined || Number.isNaN(srv) ? s : { ...s, serverTs: srv });
    } else if (kind === ENTRY_SAMPLE) {
      out.push(samples[next++] as Sample);
    }
  }
  for (; next < samples.length; next++) out.push(samples[next] as Sample);
  return out;
}

/**
 * A ColumnBatch being filled, its arrays reused from one delivery to the next (grown by doubling
 * when a delivery is larger than any before). With `sparse`, each entry names its position; with
 * `withServerTs`, the batch has a serverTs column.
 */
export class ColumnBatchBuilder implements ColumnBatch {
  length = 0;
  kinds: Uint8Array;
  positions: Int32Array | undefined;
  values: Float64Array;
  sourceTs: Float64Array;
  receivedTs: Float64Array;
  serverTs: Float64Array | undefined;
  samples: Sample[] = [];

  constructor(public layout: BatchLayout, capacity: number, sparse: boolean, withServerTs = false) {
    const n = Math.max(1, capacity);
    this.kinds = new Uint8Array(n);
    this.positions = sparse ? new Int32Array(n) : undefined;
    this.values = new Float64Array(n);
    this.sourceTs = new Float64Array(n);
    this.receivedTs = new Float64Array(n);
    this.serverTs = withServerTs ? new Float64Array(n) : undefined;
  }

  /** Starts a new delivery (the previous one must have been handed on). */
  reset(layout: BatchLayout = this.layout): void {
    this.layout = layout;
    this.length = 0;
    // only a list that carried samples is replaced: a new empty array per delivery was an allocation per poll
    if (this.samples.length > 0) this.samples = [];
  }

  /**
   * A good number at `position` (ignored for a dense batch, where the entry index is the
   * position). `serverTs` is kept when the batch has that column (NaN: none).
   */
  value(position: number, v: number, sourceTs: number, receivedTs: number, serverTs = NaN): void {
    const i = this.slot(position);
    this.kinds[i] = ENTRY_VALUE;
    this.values[i] = v;
    this.sourceTs[i] = sourceTs;
    this.receivedTs[i] = receivedTs;
    if (this.serverTs) this.serverTs[i] = serverTs;
  }

  /** A value that is not a good number, as the Sample it is. */
  sample(position: number, s: Sample): void {
    const i = this.slot(position); // before reading this.kinds: slot() may grow it
    this.kinds[i] = ENTRY_SAMPLE;
    this.samples.push(s);
  }

  /** Nothing for `position` this time (keeps a dense batch's positions in step). */
  none(position: number): void {
    const i = this.slot(position);
    this.kinds[i] = ENTRY_NONE;
  }

  private slot(position: number): number {
    const i = this.length++;
    if (i === this.kinds.length) this.grow();
    if (this.positions) this.positions[i] = position;
    return i;
  }

  private grow(): void {
    const n = 2 * this.kinds.length;
    const kinds = new Uint8Array(n);
    kinds.set(this.kinds);
    this.kinds = kinds;
    if (this.positions) {
      const p = new Int32Array(n);
      p.set(this.positions);
      this.positions = p;
    }
    this.values = grown(this.values, n);
    this.sourceTs = grown(this.sourceTs, n);
    this.receivedTs = grown(this.receivedTs, n);
    if (this.serverTs) this.serverTs = grown(this.serverTs, n);
  }
}

function grown(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
