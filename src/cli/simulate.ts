import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ConfigError } from '../core/errors';
import { loadConfig } from '../config/load';
import { toConfigIssues } from '../config/issues';
import { createLogger } from '../observability/logger';
import { simulatorConfig, type SimulatorConfig } from '../sim/config';
import { parseFaultSpec } from '../sim/faults';
import { resolveSimulatorPaths } from '../sim/resolve';

export interface SimulateOptions {
  config?: string;
  timeScale?: string;
  fault?: string[];
  replay?: string;
  format?: 'cmapss' | 'skab';
  unit?: string;
  rowsPerSecond?: string;
  opcuaPort?: string;
  modbusPort?: string;
  statusInterval?: string;
}

/** The config's `simulator` section (or the defaults) with the command-line overrides applied. */
export function simulatorConfigFromOptions(opts: SimulateOptions): SimulatorConfig {
  let base: SimulatorConfig = simulatorConfig.parse({});
  if (opts.config) {
    const loaded = loadConfig(opts.config);
    base = resolveSimulatorPaths(loaded.config.simulator, dirname(resolve(opts.config)));
  }
  const raw: Record<string, unknown> = { ...base };
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  if (opts.timeScale !== undefined) raw.timeScale = num(opts.timeScale);
  if (opts.opcuaPort !== undefined) raw.opcuaPort = num(opts.opcuaPort);
  if (opts.modbusPort !== undefined) raw.modbusPort = num(opts.modbusPort);
  if (opts.fault?.length) raw.faults = [...base.faults, ...opts.fault.map(parseFaultSpec)];
  if (opts.replay) {
    raw.replay = {
      file: resolve(opts.replay),
      format: opts.format ?? (/\.csv$/i.test(opts.replay) ? 'skab' : 'cmapss'),
      ...(opts.unit !== undefined ? { unit: num(opts.unit) } : {}),
      rowsPerSecond: num(opts.rowsPerSecond) ?? 1,
      loop: true,
    };
  }
  const parsed = simulatorConfig.safeParse(raw);
  if (!parsed.success) {
    const issues = toConfigIssues(parsed.error, raw, simulatorConfig).map((i) => ({ ...i, path: `simulator.${i.path}` }));
    throw new ConfigError(opts.config ?? 'command line', issues);
  }
  return parsed.data;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('Run the plant simulator alone (OPC-UA + Modbus TCP servers) until Ctrl-C, so a gateway elsewhere can read it')
    .option('-c, --config <file>', "gateway config file whose 'simulator' section to use (its 'enabled' flag is ignored)")
    .option('--time-scale <n>', 'simulated seconds per real second')
    .option('--fault <spec...>', 'schedule a fault: KIND@START[:DURATION[:SEVERITY[:CHANNEL]]], e.g. cavitation@30:60:0.8, stuck@10::1:Pressure')
    .option('--replay <file>', 'replay a CSV onto the nodes and registers instead of the models')
    .addOption(new Option('--format <format>', 'replay file format').choices(['cmapss', 'skab']))
    .option('--unit <n>', 'C-MAPSS unit (engine) to replay')
    .option('--rows-per-second <n>', 'replay speed in rows per simulated second', '1')
    .option('--opcua-port <port>', 'OPC-UA port (0 = any free port)')
    .option('--modbus-port <port>', 'Modbus TCP port (0 = any free port)')
    .option('--status-interval <seconds>', 'seconds between status lines (0 = none)', '5')
    .action(async (opts: SimulateOptions) => {
      const cfg = simulatorConfigFromOptions(opts);
      const statusSeconds = Number(opts.statusInterval ?? 5);
      if (!(statusSeconds >= 0)) throw new ConfigError('command line', [{ path: '--status-interval', message: `expected seconds >= 0, got "${opts.statusInterval}"` }]);
      const until = new Promise<string>((resolveSignal) => {
        process.once('SIGINT', resolveSignal);
        process.once('SIGTERM', resolveSignal);
      });
      // Loaded here, not at the top: node-opcua takes a while to load and every other command would pay for it.
      const { runSimulate } = await import('../sim/run');
      await runSimulate(cfg, {
        logger: createLogger(),
        out: (line) => process.stdout.write(`${line}\n`),
        statusEveryMs: statusSeconds * 1000,
        until,
      });
      process.exitCode = 0;
    });
}
