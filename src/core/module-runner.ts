import type { Module } from './lifecycle';
import { FatalError, errorMessage } from './errors';

export interface RunnerLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Starts modules in order and stops them in reverse. A module that fails to start is named with
 * the reason, and the ones already started are stopped again. `stop()` gives each module a share
 * of the overall deadline so a stuck module cannot hold the process past it.
 */
export class ModuleRunner {
  private readonly started: Module[] = [];

  constructor(
    private readonly modules: readonly Module[],
    private readonly log: RunnerLog,
  ) {}

  async start(): Promise<void> {
    for (const m of this.modules) {
      try {
        await m.start();
        this.started.push(m);
      } catch (e) {
        this.log.error({ module: m.name, err: errorMessage(e) }, `module ${m.name} failed to start`);
        await this.stop();
        throw new FatalError(m.name, `failed to start: ${errorMessage(e)}`, { cause: e });
      }
    }
  }

  /** Stops in reverse start order; resolves within `deadlineMs` even if a module hangs. */
  async stop(deadlineMs = 10000): Promise<{ timedOut: string[] }> {
    const timedOut: string[] = [];
    const end = Date.now() + deadlineMs;
    while (this.started.length > 0) {
      const m = this.started.pop()!;
      const left = Math.max(100, end - Date.now());
      let timer: NodeJS.Timeout | undefined;
      const t0 = Date.now();
      const outcome = await Promise.race([
        m.stop().then(
          () => 'ok' as const,
          (e: unknown) => {
            this.log.error({ module: m.name, err: errorMessage(e) }, `module ${m.name} failed to stop cleanly`);
            return 'error' as const;
          },
        ),
        new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), left);
        }),
      ]);
      clearTimeout(timer);
      this.log.info({ module: m.name, ms: Date.now() - t0, outcome }, `module ${m.name} stopped`);
      if (outcome === 'timeout') {
        timedOut.push(m.name);
        this.log.error({ module: m.name }, `module ${m.name} did not stop within the deadline`);
      }
    }
    return { timedOut };
  }
}
