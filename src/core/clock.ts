/** Injectable time, so tests can drive windows and persistence without sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(t: number): void {
    this.t = t;
  }
}

/** A millisecond timestamp as ISO 8601 text (for messages). */
export function iso(t: number): string {
  return new Date(t).toISOString();
}
