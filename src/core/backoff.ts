/** Exponential backoff with full jitter, so a plant full of gateways does not reconnect in step. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor?: number;
  readonly random?: () => number;
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  next(): number {
    const { initialMs, maxMs, factor = 2, random = Math.random } = this.opts;
    const ceiling = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt++;
    return Math.round(initialMs / 2 + random() * (ceiling - initialMs / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
