import { REJECTS_BEFORE_UNHEALTHY, RejectHold } from '../../src/uplink/reject-hold';

describe('RejectHold (a class the broker refused waits on a backoff)', () => {
  // random() = 1: every delay is its ceiling, so the doubling is exact.
  const hold = () => new RejectHold({ initialMs: 200, maxMs: 1600, random: () => 1 });

  it('holds the refused class on a doubling, capped delay; a refusal of a publish sent before the hold does not lengthen it', () => {
    const h = hold();
    let now = 1000;
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      delays.push(h.rejected('event', 0x87, now));
      expect(h.heldFor('event', now) > 0).toBe(true);
      expect(h.heldFor('telemetry', now) > 0).toBe(false);
      // Another message of the same class, already in flight, refused 10 ms later.
      expect(h.rejected('event', 0x87, now + 10)).toBe(delays[i]! - 10);
      now += delays[i]!;
      expect(h.heldFor('event', now) > 0).toBe(false);
    }
    expect(delays).toEqual([200, 400, 800, 1600, 1600, 1600]);
    expect(h.counters).toEqual({ publishRejected: 12, publishRejected_0x87: 12 });
  });

  it('reports a problem after REJECTS_BEFORE_UNHEALTHY refusals in a row, per reason, until one is accepted', () => {
    const h = hold();
    for (let i = 0; i < REJECTS_BEFORE_UNHEALTHY - 1; i++) h.rejected('event', 0x97, i * 10_000);
    expect(h.problem()).toBeUndefined();
    h.rejected('event', 0x97, 100_000);
    h.rejected('summary', undefined, 100_000);
    expect(h.problem()).toBe(`broker refused the last ${REJECTS_BEFORE_UNHEALTHY} publishes of class event (reason 0x97); retrying on a backoff`);
    expect(h.counters).toEqual({ publishRejected: REJECTS_BEFORE_UNHEALTHY + 1, publishRejected_0x97: REJECTS_BEFORE_UNHEALTHY, publishRejected_other: 1 });
    h.accepted('event');
    expect(h.problem()).toBeUndefined();
    expect(h.heldFor('event', 100_001) > 0).toBe(false);
    // The backoff started over.
    expect(h.rejected('event', 0x97, 200_000)).toBe(200);
  });
});
