import type { LinkState } from '../../src/core/lifecycle';
import { batchSamples, ENTRY_VALUE } from '../../src/core/batch';
import type { Sample } from '../../src/core/sample';
import type { Source } from '../../src/core/source';

/** Collects what a Source emits, and waits for conditions on it (with a deadline that names what was awaited). */
export class SourceRecorder {
  readonly samples: Sample[] = [];
  readonly states: { state: LinkState; detail?: string; at: number }[] = [];

  /** Deliveries whose 'samples' event differed from its 'batch' event (both shapes must agree). */
  readonly mismatches: string[] = [];
  private lastBatch: Sample[] | undefined;
  /** Good numbers delivered in columns (not as Sample objects), by tag. */
  readonly columnValues = new Map<string, number>();

  constructor(readonly source: Source) {
    // 'batch' comes first; the 'samples' of the same delivery must be exactly its Samples
    source.on('batch', (b) => {
      this.lastBatch = batchSamples(b);
      for (let i = 0; i < b.length; i++) {
        if (b.kinds[i] !== ENTRY_VALUE) continue;
        const tag = b.layout.tags[b.positions ? (b.positions[i] as number) : i] as string;
        this.columnValues.set(tag, (this.columnValues.get(tag) ?? 0) + 1);
      }
    });
    source.on('samples', (batch) => {
      const a = JSON.stringify(batch);
      const b = JSON.stringify(this.lastBatch);
      if (a !== b) this.mismatches.push(`samples ${a.slice(0, 200)} != batch ${b.slice(0, 200)}`);
      this.lastBatch = undefined;
      this.samples.push(...batch);
    });
    source.on('state', (state, detail) => this.states.push({ state, detail, at: Date.now() }));
  }

  latest(tag: string): Sample | undefined {
    for (let i = this.samples.length - 1; i >= 0; i--) if (this.samples[i]?.tag === tag) return this.samples[i];
    return undefined;
  }

  since(index: number): Sample[] {
    return this.samples.slice(index);
  }

  async until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<number> {
    const t0 = Date.now();
    while (!cond()) {
      if (this.mismatches.length > 0) throw new Error(`a source's 'samples' and 'batch' events disagree: ${this.mismatches[0]}`);
      if (Date.now() - t0 > timeoutMs) {
        const last = this.states.at(-1);
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (state ${last?.state}: ${last?.detail ?? ''}; ${this.samples.length} samples)`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (this.mismatches.length > 0) throw new Error(`a source's 'samples' and 'batch' events disagree: ${this.mismatches[0]}`);
    return Date.now() - t0;
  }
}
