import { ArrivalClock, arrivalClock } from '../../src/assets/arrival-clock';
import { ManualClock, systemClock } from '../../src/core/clock';

describe('ArrivalClock', () => {
  it('reads a manual clock every time', () => {
    const c = new ManualClock(5);
    const a = arrivalClock(c);
    expect(a.now()).toBe(5);
    c.advance(10);
    expect(a.now()).toBe(15);
  });

  it('reads the system clock once per synchronous burst and again after it', async () => {
    const a = new ArrivalClock(systemClock);
    const first = a.now();
    const until = Date.now() + 5;
    while (Date.now() < until); // the burst goes on; the stamp stays
    expect(a.now()).toBe(first);
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 5));
    expect(a.now()).toBeGreaterThan(first);
  });

  it('a long burst re-reads the system clock every 64 stamps', () => {
    const a = new ArrivalClock(systemClock);
    const first = a.now();
    const until = Date.now() + 3;
    while (Date.now() < until);
    const stamps = Array.from({ length: 64 }, () => a.now());
    expect(stamps.slice(0, 63).every((t) => t === first)).toBe(true);
    expect(stamps[63]).toBeGreaterThan(first);
  });

  it('is shared per clock for the system clock (one read serves every pipeline)', () => {
    expect(arrivalClock(systemClock)).toBe(arrivalClock(systemClock));
  });
});
