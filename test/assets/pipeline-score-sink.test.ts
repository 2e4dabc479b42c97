import type { AssetConfig } from '../../src/assets/config';
import type { AnalyzedWindow, ModelRunnerLike, ModelScore, ScoreSink } from '../../src/assets/types';
import { asset, harness } from './helpers';

/**
 * A model layer with the promise-free scoreInto(): scores each window with the sum of its raw
 * values, settling at once (synchronously) or later on demand. It checks that the window's arrays
 * hold that window's frames when it is scored.
 */
class SinkRunner implements ModelRunnerLike {
  readonly later: (() => void)[] = [];
  readonly seen: Float64Array[] = [];
  constructor(private readonly sync: boolean, private readonly doneWithRaw = false) {}
  score(): Promise<readonly ModelScore[]> {
    throw new Error('the pipeline should use scoreInto');
  }
  scoreInto(cfg: AssetConfig, w: AnalyzedWindow, sink: ScoreSink): boolean {
    this.seen.push(w.raw.values);
    const sum = w.raw.values.reduce((a, b) => a + b, 0);
    expect(sum).toBe(w.result.features.a.mean * w.raw.frames + w.result.features.b.mean * w.raw.frames);
    const settle = (): void => sink.settle([{ binding: cfg.models[0], model: 'm', version: '1.0.0', value: sum, thresholds: { anomaly: 1e9 } }]);
    if (this.sync) settle();
    else this.later.push(settle);
    return this.doneWithRaw;
  }
}

const cfg = asset({ window: { type: 'count', size: 2, frameMs: 1000, latenessMs: 0 }, models: [{ id: 'm', role: 'anomaly', input: 'frames' }] });

describe('AssetPipeline with a scoreInto() model layer', () => {
  it('a synchronous settle emits each window at once, in order, and the window arrays are recycled', () => {
    const r = new SinkRunner(true);
    const h = harness(cfg, r);
    for (let k = 0; k < 9; k++) h.p.pushFrame(k * 1000, [k, 10 * k]);
    expect(h.windows.map((w) => [w.seq, w.health?.[0].value])).toEqual([[0, 11], [1, 55], [2, 99], [3, 143]]);
    // each window is emitted (and its arrays released) before the next one takes arrays: one set
    expect(new Set(r.seen).size).toBe(1);
    expect(h.p.stats()).toMatchObject({ windows: 4, scored: 4, windowsInFlight: 0 });
  });

  it('windows scored later keep their own values until they are emitted; none is reused while in flight', () => {
    const r = new SinkRunner(false);
    const h = harness(cfg, r);
    for (let k = 0; k < 9; k++) h.p.pushFrame(k * 1000, [k, 10 * k]);
    expect(h.windows).toHaveLength(0);
    expect(new Set(r.seen).size).toBe(4); // all 4 in flight have their own arrays
    for (const settle of r.later.splice(0).reverse()) settle();
    expect(h.windows.map((w) => w.health?.[0].value)).toEqual([11, 55, 99, 143]);
    for (let k = 9; k < 13; k++) h.p.pushFrame(k * 1000, [k, 10 * k]);
    for (const settle of r.later.splice(0)) settle();
    expect(h.windows.map((w) => w.health?.[0].value)).toEqual([11, 55, 99, 143, 187, 231]);
    expect(r.seen).toHaveLength(6);
    expect(r.seen.slice(0, 4)).toContain(r.seen[5]); // arrays of an emitted window, reused
  });

  it('a model layer done with the frames at once lets the next window refill the same arrays, scores unchanged', () => {
    const r = new SinkRunner(false, true);
    const h = harness(cfg, r);
    for (let k = 0; k < 9; k++) h.p.pushFrame(k * 1000, [k, 10 * k]);
    expect(new Set(r.seen).size).toBe(1);
    for (const settle of r.later.splice(0)) settle();
    expect(h.windows.map((w) => w.health?.[0].value)).toEqual([11, 55, 99, 143]);
    expect(h.windows.map((w) => w.features.a.mean)).toEqual([0.5, 2.5, 4.5, 6.5]);
  });
});
