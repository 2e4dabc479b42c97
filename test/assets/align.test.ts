import { asset, harness, s, stream } from './helpers';

describe('AssetPipeline alignment', () => {
  it('aligns tags of different rates onto the frame grid (ffill bridges the slow tag) and cuts epoch-aligned tumbling windows', () => {
    const h = harness(asset({ gaps: { policy: 'ffill', maxFillMs: 2000, minCoverage: 1 } }));
    // a every 250 ms = t/1000, b every 2 s = 5; starts mid-window at 3.5 s
    h.push(stream({ 'src/a': 250, 'src/b': 2000 }, 3500, 42_000, (tag, t) => (tag === 'src/a' ? Math.floor(t / 1000) : 5)));
    expect(h.windows.map((w) => [w.start, w.end])).toEqual([[10_000, 20_000], [20_000, 30_000], [30_000, 40_000]]);
    const w = h.windows[0];
    expect(w.quality).toBe('good');
    expect(w.coverage).toBe(1);
    expect(w.frames).toBe(10);
    expect(w.seq).toBe(0);
    expect(w.features.a.mean).toBeCloseTo(14.5, 12); // frames 10..19
    expect(w.features.a.min).toBe(10);
    expect(w.features.a.max).toBe(19);
    expect(w.features.b).toEqual({ mean: 5, std: 0, min: 5, max: 5, last: 5 });
    expect(h.p.stats().filledCells).toBeGreaterThan(0);
  });

  it('frameAgg mean averages the values in a frame, last takes the newest by source time', () => {
    for (const [agg, expected] of [['mean', 2], ['last', 3]] as const) {
      const h = harness(asset({ tags: { a: 'src/a' }, window: { type: 'count', size: 1, frameMs: 1000, frameAgg: agg } }));
      h.push([s('src/a', 3, 1900), s('src/a', 1, 1000), s('src/a', 2, 1500), s('src/a', 0, 3000)]);
      expect(h.windows[0].features.a.mean).toBe(expected);
    }
  });

  it('accepts a late value while its frame is open and drops (counts) one after the frame closed', () => {
    const h = harness(asset({ tags: { a: 'src/a' }, window: { type: 'count', size: 1, frameMs: 1000, latenessMs: 1000, frameAgg: 'mean' } }));
    h.push([s('src/a', 10, 1000), s('src/a', 20, 2100)]); // watermark 1100: frame 1 still open
    h.push([s('src/a', 30, 1800)]); // late but in time
    h.push([s('src/a', 40, 3500)]); // watermark 2500: frame 1 closes
    h.push([s('src/a', 99, 1200)]); // too late
    h.push([s('src/a', 0, 5000)]);
    expect(h.windows.map((w) => w.features.a.mean)).toEqual([20, 20, 40]);
    expect(h.p.stats().lateSamples).toBe(1);
  });

  it('ignores samples of foreign tags and counts only its own', () => {
    const h = harness(asset({ tags: { a: 'src/a' }, window: { type: 'count', size: 2, frameMs: 1000 } }));
    h.push([s('src/a', 1, 0), s('other/x', 1e9, 0), s('src/a', 3, 1000), s('src/ab', 7, 1000), s('src/a', 0, 3000)]);
    expect(h.windows).toHaveLength(1);
    expect(h.windows[0].features.a.max).toBe(3);
    expect(h.p.stats().samples).toBe(3);
  });

  it('count windows slide by step frames starting at the first frame', () => {
    const h = harness(asset({ tags: { a: 'src/a' }, window: { type: 'count', size: 4, step: 2, frameMs: 100 } }));
    h.push(stream({ 'src/a': 100 }, 250, 1600, (_t, t) => t));
    expect(h.windows.map((w) => w.start)).toEqual([200, 400, 600, 800, 1000]);
    expect(h.windows.every((w) => w.frames === 4)).toBe(true);
    expect(h.windows[1].features.a.min).toBe(450);
  });

  it('sliding time windows start on multiples of the step', () => {
    const h = harness(asset({ tags: { a: 'src/a' }, window: { type: 'time', size: 4000, step: 2000, frameMs: 1000 } }));
    h.push(stream({ 'src/a': 500 }, 1000, 13_500, () => 1));
    expect(h.windows.map((w) => [w.start, w.end])).toEqual([[2000, 6000], [4000, 8000], [6000, 10_000], [8000, 12_000]]);
  });

  it('rejects samples stamped far ahead of their receipt (bad device clock) without moving the watermark', () => {
    const h = harness(asset({ tags: { a: 'src/a' }, window: { type: 'count', size: 1, frameMs: 1000, maxFutureMs: 5000 } }));
    h.push([{ tag: 'src/a', value: 1, sourceTs: 1e12, receivedTs: 1000, quality: 'good' }]);
    h.push([s('src/a', 2, 1000), s('src/a', 3, 3000)]);
    expect(h.p.stats().futureSamples).toBe(1);
    expect(h.windows.map((w) => w.features.a.mean)).toEqual([2]);
  });

  it('closes frames on the gateway clock when the source goes quiet, then skips the empty windows', () => {
    const h = harness(asset({ tags: { a: 'src/a' }, window: { type: 'time', size: 2000, frameMs: 1000 }, gaps: { policy: 'skip', minCoverage: 0.8 } }));
    h.push(stream({ 'src/a': 500 }, 0, 3000, () => 1)); // watermark 1500: frame 0 closed only
    expect(h.windows).toHaveLength(0);
    for (let i = 0; i < 10; i++) {
      h.clock.advance(1000); // what the pipeline's timer does
      h.p.tick();
    }
    expect(h.p.stats().gapResets).toBe(0);
    expect(h.windows.map((w) => w.start)).toEqual([0]);
    expect(h.skipped.map((w) => [w.start, w.reason])).toEqual([[2000, 'coverage'], [4000, 'empty'], [6000, 'empty'], [8000, 'empty']]);
    expect(h.skipped[1].message).toBe('asset p1: window 1970-01-01T00:00:04.000Z..1970-01-01T00:00:06.000Z skipped: all channels missing or bad');
  });

  it('restarts windowing after a long jump in time instead of emitting thousands of empty frames', () => {
    const h = harness(asset({ tags: { a: 'src/a' }, window: { type: 'time', size: 2000, frameMs: 1000 } }));
    h.push(stream({ 'src/a': 1000 }, 0, 5000, () => 1));
    h.push(stream({ 'src/a': 1000 }, 3_600_000, 3_610_000, () => 2));
    const st = h.p.stats();
    expect(st.gapResets).toBe(1);
    expect(st.frames).toBeLessThan(20);
    expect(h.windows.map((w) => w.start)).toEqual([0, 2000, 3_600_000, 3_602_000, 3_604_000, 3_606_000]);
  });
});

describe('AssetPipeline.pushFrame', () => {
  it('feeds aligned rows through the same grid: NaN is missing, Infinity counted, a late or wrong-width row rejected', () => {
    const h = harness(asset({ window: { type: 'count', size: 2, frameMs: 1000, latenessMs: 0 }, gaps: { policy: 'skip', minCoverage: 0.5 } }));
    h.p.pushFrame(0, [1, 10]);
    h.p.pushFrame(1000, [3, NaN]);
    h.p.pushFrame(2000, [Infinity, 0]);
    h.p.pushFrame(500, [7, 7]);
    h.p.pushFrame(3000, [1]);
    expect(h.windows).toHaveLength(1);
    expect(h.windows[0].features.a).toMatchObject({ mean: 2, max: 3 });
    expect(h.windows[0].features.b).toMatchObject({ mean: 10, last: 10 });
    expect(h.windows[0].coverage).toBe(0.75);
    expect(h.p.stats()).toMatchObject({ samples: 8, nonFiniteSamples: 1, lateSamples: 2, invalidSamples: 1, frames: 2 });
  });

  it('a row and then more values for the same open frame give exactly what the same values as samples give (mean and last)', () => {
    for (const frameAgg of ['mean', 'last'] as const) {
      const cfg = asset({ tags: { a: 'src/a', b: 'src/b', c: 'src/c' }, window: { type: 'count', size: 2, frameMs: 1000, latenessMs: 1000, frameAgg }, features: ['mean', 'min', 'max', 'last'], gaps: { policy: 'skip', minCoverage: 0 } });
      const rows = harness(cfg);
      const samples = harness(cfg);
      // frame 0: a row (b missing, c = -0), then a later value of a, an earlier one of c and a first one of b
      rows.p.pushFrame(100, [1, NaN, -0]);
      samples.push([s('src/a', 1, 100), s('src/c', -0, 100)]);
      for (const h of [rows, samples]) h.push([s('src/a', 5, 600), s('src/c', 4, 50), s('src/b', 7, 900)]);
      // frame 1: two rows (the second expands the first), frame 2: a row alone, uncertain values around it
      rows.p.pushFrame(1200, [2, 3, 4]);
      rows.p.pushFrame(1300, [6, NaN, 8]);
      samples.push([s('src/a', 2, 1200), s('src/b', 3, 1200), s('src/c', 4, 1200), s('src/a', 6, 1300), s('src/c', 8, 1300)]);
      rows.p.pushFrame(2000, [-0, 9, 10]);
      samples.push([s('src/a', -0, 2000), s('src/b', 9, 2000), s('src/c', 10, 2000)]);
      for (const h of [rows, samples]) h.push([s('src/b', 11, 2500, 'uncertain'), s('src/a', 0, 5000)]);
      expect(rows.windows).toHaveLength(2);
      expect(rows.windows).toEqual(samples.windows);
      expect(Object.is(rows.windows[1].features.a.min, samples.windows[1].features.a.min)).toBe(true);
      expect(rows.windows[1].quality).toBe('degraded');
    }
  });

  it('finds the channel of every sample whatever order the tags come in (in order, reversed, foreign tags between)', () => {
    const cfg = asset({ tags: { a: 'src/a', b: 'src/b', c: 'src/c' }, window: { type: 'count', size: 3, frameMs: 1000, latenessMs: 0 }, features: ['mean', 'last'] });
    const frames = Array.from({ length: 7 }, (_, k) => ({ 'src/a': k, 'src/b': 10 * k, 'src/c': -k }));
    const orders = [['src/a', 'src/b', 'src/c'], ['src/c', 'src/b', 'src/a'], ['src/b', 'other/x', 'src/a', 'src/a', 'src/c']];
    const results = orders.map((order) => {
      const h = harness(cfg);
      h.push(frames.flatMap((f, k) => order.map((tag) => s(tag, tag in f ? f[tag as keyof typeof f] : 99, k * 1000))));
      return { windows: h.windows, samples: h.p.stats().samples };
    });
    expect(results[0].windows).toHaveLength(2);
    expect(results[0].windows[1].features).toEqual({ a: { mean: 4, last: 5 }, b: { mean: 40, last: 50 }, c: { mean: -4, last: -5 } });
    expect(results[1].windows).toEqual(results[0].windows);
    expect(results[2].windows).toEqual(results[0].windows);
    expect(results.map((r) => r.samples)).toEqual([21, 21, 28]);
  });
});
