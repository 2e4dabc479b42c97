import type { AnalyzedWindow, ModelRunnerLike, ModelScore } from '../../src/assets/types';
import type { AssetConfig } from '../../src/assets/config';
import { asset, harness, s } from './helpers';

/**
 * The model layer answers asynchronously and, with batching, not necessarily in order. This
 * runner resolves its promises in reverse order on demand (a fault a real session does not
 * produce on cue), scoring each window with its mean of channel a.
 */
class ReorderingRunner implements ModelRunnerLike {
  readonly waiting: (() => void)[] = [];
  score(cfg: AssetConfig, w: AnalyzedWindow): Promise<readonly ModelScore[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push(() => {
        const mean = w.result.features.a?.mean ?? 0;
        if (mean < 0) reject(new Error('model exploded'));
        else resolve([{ binding: cfg.models[0], model: 'm', version: '1.0.0', value: mean, thresholds: { anomaly: 5 } }]);
      });
    });
  }
  releaseReversed(): void {
    for (const r of this.waiting.splice(0).reverse()) r();
  }
}

function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

describe('AssetPipeline with a model layer', () => {
  const cfg = asset({
    tags: { a: 'src/a' },
    window: { type: 'count', size: 1, frameMs: 1000 },
    models: [{ id: 'm', role: 'anomaly', input: 'features' }],
    health: { n: 2, m: 3 },
  });

  it('emits windows in order, each once, although scores arrive in reverse; raises within n-of-m and clears after recovery', async () => {
    const r = new ReorderingRunner();
    const h = harness(cfg, r);
    const values = [1, 2, 9, 1, 9, 9, 9, 1, 1, 1, 0, 0]; // the last two stay open (lateness one frame)
    h.push(values.map((v, k) => s('src/a', v, k * 1000)));
    expect(h.windows).toHaveLength(0);
    expect(h.p.stats().windowsInFlight).toBe(values.length - 2);
    r.releaseReversed();
    await tick();
    expect(h.windows.map((w) => w.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(h.windows.map((w) => w.health?.[0].state)).toEqual(
      ['normal', 'normal', 'warning', 'normal', 'alarm', 'alarm', 'alarm', 'alarm', 'normal', 'normal'],
    );
    expect(h.windows[4].health?.[0]).toMatchObject({ model: 'm', version: '1.0.0', role: 'anomaly', value: 9, quality: 'good' });
    expect(h.alarms.map((a) => [a.action, a.ts])).toEqual([['raise', 5000], ['clear', 9000]]);
    expect(h.alarms[0].message).toBe('anomaly alarm raised on p1 by m@1.0.0: value 9');
    expect(h.p.activeAlarms()).toEqual([]);
    expect(h.p.stats()).toMatchObject({ windows: 10, scored: 10, windowsInFlight: 0, alarmEvents: 2 });
  });

  it('a failed scoring is counted and the window still goes out, without health; stop() waits for the windows in flight', async () => {
    const r = new ReorderingRunner();
    const h = harness(cfg, r);
    await h.p.start();
    h.push([s('src/a', 1, 0), s('src/a', -1, 1000), s('src/a', 1, 2000), s('src/a', 1, 3000), s('src/a', 1, 4000)]);
    const stopped = h.p.stop();
    let done = false;
    void stopped.then(() => { done = true; });
    await tick();
    expect(done).toBe(false);
    r.releaseReversed();
    await stopped;
    expect(h.windows.map((w) => [w.seq, w.health === undefined])).toEqual([[0, false], [1, true], [2, false]]);
    expect(h.p.stats().scoreErrors).toBe(1);
  });

  it('acknowledge() emits one acknowledge event for a live alarm', async () => {
    const r = new ReorderingRunner();
    const h = harness(cfg, r);
    h.push([9, 9, 9, 9].map((v, k) => s('src/a', v, k * 1000)));
    r.releaseReversed();
    await tick();
    expect(h.p.activeAlarms().map((a) => a.key)).toEqual(['p1/m/anomaly']);
    expect(h.p.acknowledge('p1/m/anomaly', 'bob')).toBe(true);
    expect(h.p.acknowledge('p1/m/anomaly')).toBe(false);
    expect(h.alarms.map((a) => a.action)).toEqual(['raise', 'acknowledge']);
  });
});
