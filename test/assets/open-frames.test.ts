import { OpenFrames } from '../../src/assets/open-frames';

describe('OpenFrames (ring of open frames with an overflow map)', () => {
  it('opens, finds and takes frames by index; a frame is the same accumulator until taken', () => {
    const o = new OpenFrames(2);
    const a = o.open(10);
    a[0] = 1;
    expect(o.open(10)).toBe(a);
    expect(o.get(10)).toBe(a);
    expect(o.get(11)).toBeUndefined();
    expect(o.size).toBe(1);
    expect(o.take(10)).toBe(a);
    expect(o.take(10)).toBeUndefined();
    expect(o.size).toBe(0);
  });

  it('keeps two frames that share a ring slot apart (one goes to the overflow map)', () => {
    const o = new OpenFrames(1);
    const near = o.open(5);
    const far = o.open(5 + 64); // same slot, a value stamped far ahead
    expect(far).not.toBe(near);
    near[0] = 1;
    far[0] = 2;
    expect(o.size).toBe(2);
    expect(o.min()).toBe(5);
    expect(o.get(69)?.[0]).toBe(2);
    expect(o.take(5)?.[0]).toBe(1);
    // the slot is free now, but frame 69 stays where it is and is found there
    expect(o.open(69)).toBe(far);
    expect(o.min()).toBe(69);
    expect(o.take(69)?.[0]).toBe(2);
    expect(o.min()).toBeUndefined();
  });

  it('min() covers negative, huge (beyond int32) and overflow indexes', () => {
    const o = new OpenFrames(1);
    for (const k of [3_000_000_000_123, -7, 3_000_000_000_123 + 64, 42]) o.open(k);
    expect(o.min()).toBe(-7);
    o.take(-7);
    expect(o.min()).toBe(42);
    o.take(42);
    expect(o.min()).toBe(3_000_000_000_123);
    expect(o.get(3_000_000_000_123 + 64)).toBeDefined();
  });

  it('recycled accumulators come back for the next frame (LIFO), so the steady state allocates nothing', () => {
    const o = new OpenFrames(3);
    const first = o.open(1);
    o.recycle(o.take(1) as Float64Array);
    expect(o.open(2)).toBe(first);
  });
});
