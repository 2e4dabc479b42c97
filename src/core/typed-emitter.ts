import { EventEmitter } from 'node:events';

/** EventEmitter with event names and listener signatures checked by the compiler. */
export class TypedEmitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private readonly ee = new EventEmitter();
  constructor() {
    this.ee.setMaxListeners(100);
  }
  on<K extends keyof Events & string>(event: K, listener: Events[K]): this {
    this.ee.on(event, listener as unknown as (...args: unknown[]) => void);
    return this;
  }
  off<K extends keyof Events & string>(event: K, listener: Events[K]): this {
    this.ee.off(event, listener as unknown as (...args: unknown[]) => void);
    return this;
  }
  /** Listeners of `event` (a producer can skip building what nobody listens to). */
  protected listenerCount<K extends keyof Events & string>(event: K): number {
    return this.ee.listenerCount(event);
  }
  protected emit<K extends keyof Events & string>(event: K, ...args: Parameters<Events[K]>): void {
    this.ee.emit(event, ...args);
  }
}
