import { systemClock, type Clock } from '../core/clock';

/** Stamps from one read of the system clock at most; bounds how stale a stamp can get in a long burst. */
const MAX_REUSE = 64;

/**
 * The gateway-clock time of an arrival, for the idle flush (which only needs it to a frame or
 * so). Date.now() costs ~0.2 us on a virtual machine, and a replay, a backlog or a round of many
 * assets pushes thousands of frames in one turn of the event loop, so the system clock is read
 * once per synchronous burst (and again every MAX_REUSE stamps); the cached reading is dropped
 * in a microtask, i.e. as soon as the burst ends. Any other clock (a test's ManualClock) is
 * cheap and moves only when told, so it is read every time.
 */
export class ArrivalClock {
  private cached = 0;
  private valid = false;
  private uses = 0;
  private readonly expire = (): void => {
    this.valid = false;
  };

  constructor(private readonly clock: Clock) {}

  now(): number {
    if (this.clock !== systemClock) return this.clock.now();
    if (this.valid && ++this.uses < MAX_REUSE) return this.cached;
    this.cached = this.clock.now();
    this.uses = 0;
    if (!this.valid) {
      this.valid = true;
      queueMicrotask(this.expire);
    }
    return this.cached;
  }
}

const shared = new Map<Clock, ArrivalClock>();

/** One ArrivalClock per clock, shared by every pipeline on it (one read serves them all). */
export function arrivalClock(clock: Clock): ArrivalClock {
  let a = shared.get(clock);
  if (!a) {
    a = new ArrivalClock(clock);
    if (clock === systemClock) shared.set(clock, a);
  }
  return a;
}
