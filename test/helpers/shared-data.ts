import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** `../shared/data` beside the project; a user's clone has none, so tests that need it skip loudly. */
export const SHARED_DATA = process.env.PDM_SHARED_DATA ?? resolve(__dirname, '../../../shared/data');

export function sharedData(sub: string): string | undefined {
  const p = resolve(SHARED_DATA, sub);
  return existsSync(p) ? p : undefined;
}

/** `describe` that runs when the data folder exists and otherwise registers one skipped test saying why. */
export function describeWithData(sub: string, name: string, fn: (dir: string) => void): void {
  const dir = sharedData(sub);
  if (dir) {
    describe(name, () => fn(dir));
  } else {
    describe(name, () => {
      it.skip(`skipped: ${resolve(SHARED_DATA, sub)} is absent (real data lives in ../shared/data, not in the repo)`, () => undefined);
    });
  }
}
