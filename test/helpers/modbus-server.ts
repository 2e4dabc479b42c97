import { ServerTCP } from 'modbus-serial';

/**
 * An in-process Modbus TCP server (modbus-serial's ServerTCP) over plain arrays, per unit id, with
 * addresses that answer "illegal data address" and a switch to answer "server busy".
 */
export class TestModbusServer {
  readonly holding = new Map<number, number[]>();
  readonly coils = new Map<number, boolean[]>();
  readonly illegal = new Set<number>();
  busy = false;
  requests = 0;
  private server: ServerTCP | undefined;

  constructor(readonly port: number) {}

  regs(unit = 1): number[] {
    let r = this.holding.get(unit);
    if (!r) this.holding.set(unit, (r = new Array<number>(1000).fill(0)));
    return r;
  }

  bits(unit = 1): boolean[] {
    let r = this.coils.get(unit);
    if (!r) this.coils.set(unit, (r = new Array<boolean>(1000).fill(false)));
    return r;
  }

  async start(): Promise<void> {
    const check = (addr: number, length: number): void => {
      this.requests++;
      if (this.busy) throw Object.assign(new Error('busy'), { modbusErrorCode: 6 });
      for (let a = addr; a < addr + length; a++) if (this.illegal.has(a)) throw Object.assign(new Error('illegal'), { modbusErrorCode: 2 });
    };
    const server = new ServerTCP(
      {
        getMultipleHoldingRegisters: (addr: number, length: number, unit: number) => {
          check(addr, length);
          return this.regs(unit).slice(addr, addr + length);
        },
        getHoldingRegister: (addr: number, unit: number) => {
          check(addr, 1);
          return this.regs(unit)[addr] as number;
        },
        getCoil: (addr: number, unit: number) => {
          if (this.illegal.has(addr)) throw Object.assign(new Error('illegal'), { modbusErrorCode: 2 });
          return this.bits(unit)[addr] as boolean;
        },
      },
      { host: '127.0.0.1', port: this.port },
    );
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => resolve());
      server.on('serverError', (e) => reject(e));
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    for (const sock of s.socks.keys()) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
