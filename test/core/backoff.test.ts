import { Backoff } from '../../src/core/backoff';

/** A random() that returns the given values in turn (the jitter draw of each next()). */
function draws(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}

describe('Backoff (exponential, full jitter between initialMs/2 and the current ceiling)', () => {
  // ceiling(attempt) = min(maxMs, initialMs * factor^attempt); delay = initialMs/2 + r * (ceiling - initialMs/2)
  const CASES: { name: string; initialMs: number; maxMs: number; factor?: number; r: number; expected: number[] }[] = [
    { name: 'r = 1: the ceiling itself, doubling up to the cap', initialMs: 100, maxMs: 1000, r: 1, expected: [100, 200, 400, 800, 1000, 1000] },
    { name: 'r = 0: always the floor initialMs/2', initialMs: 100, maxMs: 1000, r: 0, expected: [50, 50, 50, 50, 50, 50] },
    { name: 'r = 0.5: halfway between floor and ceiling', initialMs: 100, maxMs: 1000, r: 0.5, expected: [75, 125, 225, 425, 525, 525] },
    { name: 'factor 3, cap 2000', initialMs: 200, maxMs: 2000, factor: 3, r: 1, expected: [200, 600, 1800, 2000, 2000] },
    { name: 'initialMs above maxMs: capped from the first step', initialMs: 500, maxMs: 300, r: 1, expected: [300, 300] },
    { name: 'rounded to whole ms', initialMs: 3, maxMs: 100, r: 1 / 3, expected: [2, 3, 5, 9] },
  ];
  for (const c of CASES) {
    it(c.name, () => {
      const b = new Backoff({ initialMs: c.initialMs, maxMs: c.maxMs, factor: c.factor, random: () => c.r });
      expect(c.expected.map(() => b.next())).toEqual(c.expected);
    });
  }

  it('jitter stays within [initialMs/2, ceiling] for random draws in [0, 1)', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: draws(0, 0.999999, 0.25, 0.75, 0.5, 0.1, 0.9, 0.999999) });
    const ceilings = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
    for (const ceiling of ceilings) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(50);
      expect(d).toBeLessThanOrEqual(ceiling);
    }
  });

  it('the same draws give different delays at different attempts (growth), and reset() starts over', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, random: () => 1 });
    expect([b.next(), b.next(), b.next()]).toEqual([100, 200, 400]);
    b.reset();
    expect([b.next(), b.next()]).toEqual([100, 200]);
  });

  it('uses Math.random when no random is injected: delays within the bounds', () => {
    const b = new Backoff({ initialMs: 40, maxMs: 100 });
    const got = Array.from({ length: 50 }, () => b.next());
    expect(got.every((d) => d >= 20 && d <= 100)).toBe(true);
    expect(new Set(got.slice(5)).size).toBeGreaterThan(1); // jittered, not one fixed value
  });
});
