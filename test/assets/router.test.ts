import { SampleRouter } from '../../src/assets/router';
import type { Sample } from '../../src/core/sample';
import { asset, harness, s, type Harness } from './helpers';

/** Two assets sharing one tag (src/b), one tag nobody uses (src/d). */
function assets(): Harness[] {
  return [
    harness(asset({ id: 'A', tags: { x: 'src/a', y: 'src/b' }, window: { type: 'time', size: 2000, frameMs: 1000 } })),
    harness(asset({ id: 'B', tags: { z: 'src/b', w: 'src/c', v: 'src/e' }, window: { type: 'time', size: 2000, frameMs: 1000 } })),
  ];
}

/** Every tag once per second for 10 s, in an order that changes from batch to batch. */
function batches(): Sample[][] {
  const out: Sample[][] = [];
  for (let k = 0; k < 10; k++) {
    const t = 1000 * k + 100;
    const batch = [s('src/a', k, t), s('src/b', 10 + k, t), s('src/c', 20 + k, t), s('src/d', 30 + k, t), s('src/e', k % 3 === 0 ? 'text' : 40 + k, t)];
    out.push(k % 3 === 2 ? [...batch].reverse() : batch); // mostly the same order (cache hits), sometimes not
  }
  out[4]!.splice(2, 0, s('src/b', NaN, 4200, 'bad'));
  return out;
}

describe('SampleRouter', () => {
  it('gives each asset exactly what pushing every batch into it gives, in any order, with the position cache', () => {
    const routed = assets();
    const direct = assets();
    const router = new SampleRouter(routed.map((h) => h.p));
    const listener = router.listener();
    for (const b of batches()) {
      listener(b);
      for (const h of direct) h.push(b);
    }
    for (let i = 0; i < 2; i++) {
      expect(routed[i]!.windows.length).toBeGreaterThanOrEqual(3);
      expect(routed[i]!.windows).toEqual(direct[i]!.windows);
      expect(routed[i]!.p.stats()).toEqual(direct[i]!.p.stats());
    }
    expect(routed[0]!.p.stats()).toMatchObject({ samples: 21, badSamples: 1 });
    expect(routed[1]!.p.stats()).toMatchObject({ samples: 31, badSamples: 1, invalidSamples: 4 });
    expect(router.unrouted).toBe(10);
  });

  it('a tag shared by two assets reaches both channels; the input view has the latest usable value per channel', () => {
    const [a, b] = assets();
    const router = new SampleRouter([a!.p, b!.p]);
    const push = router.listener();
    push([s('src/b', 7, 100), s('src/a', 1, 100), s('src/c', 2, 100)]);
    push([s('src/a', 3, 200), s('src/b', 8, 200)]); // other tags at the cached positions
    push([s('src/b', NaN, 300, 'bad')]);
    expect(a!.p.inputView()).toEqual({ samples: 5, bad: 1, latest: { x: 3, y: 8 } });
    expect(b!.p.inputView()).toEqual({ samples: 4, bad: 1, latest: { z: 8, w: 2 } });
    router.push([s('src/c', 9, 400), s('src/zzz', 0, 400)]); // without a position cache
    expect(b!.p.inputView().latest).toEqual({ z: 8, w: 9 });
    expect(router.unrouted).toBe(1);
  });
});
