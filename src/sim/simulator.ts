import type { Logger } from '../observability/logger';
import { errorMessage } from '../core/errors';
import type { SimulatorConfig } from './config';
import { checkInjection, describeFaults, parseFaultText, type ActiveFault, type FaultInjection } from './faults';
import { ModbusSimServer } from './modbus-server';
import { OpcuaSimServer } from './opcua-server';
import { Plant, type PlantSnapshot } from './plant';
import { loadReplay } from './replay';

export type SimulatorStats = Record<string, number>;

export interface Simulator {
  /** `opc.tcp://host:port` of the OPC-UA server (the actual port when configured as 0). */
  readonly opcuaEndpoint: string;
  readonly opcuaPort: number;
  readonly modbusPort: number;
  /** Starts a fault now; throws a SkipError naming the bad field for an invalid one. */
  injectFault(f: FaultInjection): ActiveFault;
  clearFaults(): void;
  snapshot(): PlantSnapshot;
  stats(): SimulatorStats;
  /** Stops the tick timer and closes both servers and every client socket. */
  stop(): Promise<void>;
}

/** Longest real gap one tick may cover (an event-loop stall must not fast-forward the plant). */
const MAX_TICK_REAL_MS = 1000;

/** Starts the plant models, the OPC-UA server and the Modbus TCP server; values update every `updateIntervalMs`. */
export async function startSimulator(cfg: SimulatorConfig, logger: Logger): Promise<Simulator> {
  const log = logger.child({ module: 'sim' });
  const onFaultChange = (what: 'started' | 'ended', f: ActiveFault) =>
    log.info({ fault: f.fault, severity: f.severity, channel: f.channel, simSeconds: Math.round(what === 'started' ? f.startS : plant.simSeconds) }, `simulator fault ${what}`);
  const plant: Plant = cfg.replay ? Plant.withReplay(cfg, loadReplay(cfg.replay), onFaultChange) : new Plant(cfg, undefined, onFaultChange);
  const replay = plant.replayPlayer;
  if (replay) {
    for (const s of replay.parsed.skipped.slice(0, 5)) log.warn(s.message);
    log.info({ file: cfg.replay?.file, asset: replay.parsed.asset, rows: replay.parsed.rows.length, skipped: replay.parsed.skipped.length }, 'simulator replaying a file');
  }
  const counters = { ticks: 0, faultsInjected: 0, faultsRejected: 0 };
  plant.step(0, Date.now());

  const opcua = await OpcuaSimServer.start(
    {
      host: cfg.host,
      port: cfg.opcuaPort,
      pkiDir: cfg.pkiDir,
      minimumSamplingIntervalMs: cfg.updateIntervalMs,
      faultText: () => describeFaults(plant.activeFaults()),
      onFaultWrite: (text) => {
        try {
          const f = parseFaultText(text);
          if (f === null) plant.clearFaults();
          else plant.inject(f);
          counters.faultsInjected++;
          modbus?.setFaultActive(plant.activeFaults().length > 0);
          return undefined;
        } catch (e) {
          counters.faultsRejected++;
          return errorMessage(e);
        }
      },
    },
    log,
  );
  let modbus: ModbusSimServer | undefined;
  try {
    modbus = await ModbusSimServer.start(cfg.host, cfg.modbusPort, log);
  } catch (e) {
    await opcua.stop();
    throw e;
  }
  const mb = modbus;
  const publish = () => {
    opcua.update(plant.current());
    mb.update(plant.current(), plant.activeFaults().length > 0);
  };
  publish();

  let last = Date.now(); // after the servers started: their start-up time is not plant time
  const timer = setInterval(() => {
    const now = Date.now();
    const dtS = (Math.min(now - last, MAX_TICK_REAL_MS) / 1000) * cfg.timeScale;
    last = now;
    plant.step(dtS, now);
    publish();
    counters.ticks++;
  }, cfg.updateIntervalMs);

  log.info({ opcua: opcua.endpointUrl, modbus: `${cfg.host}:${mb.port}`, timeScale: cfg.timeScale }, 'simulator started');
  let stopping: Promise<void> | undefined;
  return {
    opcuaEndpoint: opcua.endpointUrl,
    opcuaPort: opcua.port,
    modbusPort: mb.port,
    injectFault(f) {
      try {
        checkInjection(f);
      } catch (e) {
        counters.faultsRejected++;
        throw e;
      }
      const a = plant.inject(f);
      counters.faultsInjected++;
      mb.setFaultActive(plant.activeFaults().length > 0);
      return a;
    },
    clearFaults: () => {
      plant.clearFaults();
      mb.setFaultActive(false);
    },
    snapshot: () => plant.snapshot(),
    stats: () => ({
      ...counters,
      simSeconds: plant.simSeconds,
      activeFaults: plant.activeFaults().length,
      ...prefixed('opcua', opcua.stats()),
      ...prefixed('modbus', mb.stats()),
      ...(replay ? replay.stats() : {}),
    }),
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        await Promise.all([opcua.stop(), mb.stop()]);
        log.info('simulator stopped');
      })();
      return stopping;
    },
  };
}

function prefixed(prefix: string, stats: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [`${prefix}${k[0]!.toUpperCase()}${k.slice(1)}`, v]));
}
