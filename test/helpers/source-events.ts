import type { LinkState } from '../../src/core/lifecycle';
import type { Sample } from '../../src/core/sample';
import type { Source } from '../../src/core/source';

/** Collects what a Source emits, and waits for conditions on it (with a deadline that names what was awaited). */
export class SourceRecorder {
  readonly samples: Sample[] = [];
  readonly states: { state: LinkState; detail?: string; at: number }[] = [];

  constructor(readonly source: Source) {
    source.on('samples', (batch) => this.samples.push(...batch));
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
      if (Date.now() - t0 > timeoutMs) {
        const last = this.states.at(-1);
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (state ${last?.state}: ${last?.detail ?? ''}; ${this.samples.length} samples)`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return Date.now() - t0;
  }
}
