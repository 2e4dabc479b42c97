import { ServerTCP } from 'modbus-serial';
import type { Logger } from '../observability/logger';
import { FatalError } from '../core/errors';
import { pickFreePort } from './ports';
import { COIL_COUNT, COIL_FAULT_ACTIVE, HOLDING_COUNT, INPUT_COUNT, UNIT_ID, fillImages } from './register-map';
import type { SignalName, SignalPoint } from './signals';

export interface ModbusSimStats {
  [k: string]: number;
  requests: number;
  exceptions: number;
  connections: number;
}

/** A modbus-serial exception the library turns into a Modbus exception response. */
const illegalAddress = (area: string, addr: number, count: number) => ({ modbusErrorCode: 0x02, msg: `illegal ${area} address ${addr} (0..${count - 1})` });

/** The simulator's Modbus TCP slave (unit id 1): a register image refreshed on every tick. */
export class ModbusSimServer {
  readonly holding = new Uint16Array(HOLDING_COUNT);
  readonly input = new Uint16Array(INPUT_COUNT);
  private faultActive = false;
  private readonly counters = { requests: 0, exceptions: 0 };

  private constructor(
    private readonly server: ServerTCP,
    readonly port: number,
    private readonly logger: Logger,
  ) {}

  static async start(host: string, port: number, logger: Logger): Promise<ModbusSimServer> {
    // Port 0: pick one ourselves (modbus-serial would listen on 502); retry if someone took it meanwhile.
    for (let attempt = 0; ; attempt++) {
      const p = port === 0 ? await pickFreePort(host) : port;
      try {
        return await ModbusSimServer.listen(host, p, logger);
      } catch (e) {
        if (port !== 0 || attempt >= 4 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
          throw new FatalError(`simulator modbus ${host}:${p}`, `cannot listen: ${(e as Error).message}`, { cause: e });
        }
      }
    }
  }

  private static listen(host: string, port: number, logger: Logger): Promise<ModbusSimServer> {
    let self: ModbusSimServer | undefined;
    const read = (image: () => Uint16Array, area: string) => (addr: number) => {
      const s = self!;
      s.counters.requests++;
      const img = image();
      if (addr < 0 || addr >= img.length) {
        s.counters.exceptions++;
        throw illegalAddress(area, addr, img.length);
      }
      return img[addr]!;
    };
    const readMany = (image: () => Uint16Array, area: string) => (addr: number, length: number) => {
      const s = self!;
      s.counters.requests++;
      const img = image();
      if (addr < 0 || addr + length > img.length) {
        s.counters.exceptions++;
        throw illegalAddress(area, addr + length - 1, img.length);
      }
      return Array.from(img.subarray(addr, addr + length));
    };
    const vector = {
      getHoldingRegister: read(() => self!.holding, 'holding register'),
      getMultipleHoldingRegisters: readMany(() => self!.holding, 'holding register'),
      getInputRegister: read(() => self!.input, 'input register'),
      getMultipleInputRegisters: readMany(() => self!.input, 'input register'),
      getCoil: (addr: number) => {
        self!.counters.requests++;
        if (addr < 0 || addr >= COIL_COUNT) {
          self!.counters.exceptions++;
          throw illegalAddress('coil', addr, COIL_COUNT);
        }
        return addr === COIL_FAULT_ACTIVE && self!.faultActive;
      },
    };
    return new Promise((resolve, reject) => {
      const server = new ServerTCP(vector, { host, port, unitID: UNIT_ID });
      // Plain EventEmitter view: modbus-serial's typings declare only some of the events it emits.
      const events: NodeJS.EventEmitter = server;
      const onError = (e: Error) => {
        events.removeAllListeners();
        server.close(() => reject(e));
      };
      events.once('serverError', onError);
      events.once('initialized', () => {
        events.off('serverError', onError);
        events.on('serverError', (e: Error) => logger.error({ err: e }, 'simulator modbus server error'));
        events.on('socketError', (e: Error) => logger.debug({ err: e }, 'simulator modbus socket error'));
        self = new ModbusSimServer(server, port, logger);
        resolve(self);
      });
    });
  }

  update(points: ReadonlyMap<SignalName, SignalPoint>, faultActive: boolean): void {
    fillImages(points, this.holding, this.input);
    this.faultActive = faultActive;
  }

  setFaultActive(active: boolean): void {
    this.faultActive = active;
  }

  stats(): ModbusSimStats {
    return { ...this.counters, connections: this.server.socks.size };
  }

  /** Closes the listener and every client socket. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        this.logger.debug({ port: this.port }, 'simulator modbus server closed');
        resolve();
      });
    });
  }
}
