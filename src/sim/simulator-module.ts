import type { Logger } from '../observability/logger';
import type { Module, ModuleHealth } from '../core/lifecycle';
import type { SimulatorConfig } from './config';
import { startSimulator, type Simulator } from './simulator';

/** The simulator as a gateway module (the demo runs it in-process before the sources start). */
export class SimulatorModule implements Module {
  readonly name = 'simulator';
  private sim: Simulator | undefined;

  constructor(
    private readonly cfg: SimulatorConfig,
    private readonly logger: Logger,
  ) {}

  get running(): Simulator | undefined {
    return this.sim;
  }

  async start(): Promise<void> {
    this.sim = await startSimulator(this.cfg, this.logger);
  }

  async stop(): Promise<void> {
    const s = this.sim;
    this.sim = undefined;
    await s?.stop();
  }

  health(): ModuleHealth {
    return this.sim ? { healthy: true, state: 'up' } : { healthy: false, state: 'stopped', detail: 'simulator not running' };
  }
}
