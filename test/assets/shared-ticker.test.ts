import { SharedTicker } from '../../src/assets/shared-ticker';
import { AssetPipeline } from '../../src/assets/pipeline';
import { pipelineTicker } from '../../src/assets/shared-ticker';
import { silentLogger } from '../../src/observability/logger';
import { asset } from './helpers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds (polled every 10 ms, at most 5 s: timers run late on a loaded machine). */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond() && Date.now() < deadline) await sleep(10);
  expect(cond()).toBe(true);
}

describe('SharedTicker', () => {
  it('one timer per period calls every subscriber; a throwing one is reported and the others still tick; the timer goes with the last one', async () => {
    const t = new SharedTicker();
    const calls = { a: 0, b: 0, c: 0 };
    const errors: unknown[] = [];
    const offA = t.every(20, () => calls.a++, (e) => errors.push(e));
    const offB = t.every(
      20,
      () => {
        calls.b++;
        throw new Error('b failed');
      },
      (e) => errors.push(e),
    );
    const offC = t.every(40, () => calls.c++, (e) => errors.push(e));
    expect(t.timers).toBe(2);
    await until(() => calls.a >= 6);
    expect(calls.b).toBe(calls.a); // same timer, same count
    expect(calls.c).toBeGreaterThanOrEqual(1);
    expect(calls.c).toBeLessThan(calls.a);
    expect(errors.length).toBe(calls.b);
    expect(String(errors[0])).toBe('Error: b failed');
    offA();
    offA(); // twice: no effect
    expect(t.timers).toBe(2);
    offB();
    expect(t.timers).toBe(1);
    offC();
    expect(t.timers).toBe(0);
    const frozen = { ...calls };
    await sleep(60);
    expect(calls).toEqual(frozen);
  });

  it('a hundred pipelines share one timer, which stops with the last of them; the idle check still closes their frames', async () => {
    const before = pipelineTicker.timers;
    const pipes = Array.from({ length: 100 }, (_, i) => new AssetPipeline({ config: asset({ id: `a${i}`, tags: { x: `s/x${i}` }, window: { type: 'time', size: 200, frameMs: 100, latenessMs: 0, idleFlushMs: 100 } }), logger: silentLogger() }));
    const windows: string[] = [];
    for (const p of pipes) {
      p.on('window', () => windows.push(p.id));
      await p.start();
    }
    expect(pipelineTicker.timers).toBe(before + 1);
    // one value per asset, then silence: only the idle check can close the frames and the window
    const t0 = Date.now() - 1000;
    for (const [i, p] of pipes.entries()) for (let k = 0; k < 2; k++) p.acceptValue(0, i + k, t0 + 100 * k, t0 + 100 * k);
    for (const p of pipes) p.endBatch();
    await until(() => new Set(windows).size === 100);
    for (const p of pipes) await p.stop();
    expect(pipelineTicker.timers).toBe(before);
  });
});
