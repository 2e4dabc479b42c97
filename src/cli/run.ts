import type { Command } from 'commander';
import { ConfigError, FatalError, errorMessage, formatIssue } from '../core/errors';
import { loadConfig } from '../config/load';
import { applyHeapGrowth } from '../core/heap-policy';
import { createLogger } from '../observability/logger';
import { SdNotify } from '../observability/sd-notify';

const STOP_DEADLINE_MS = 10000;

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run the gateway until SIGTERM/SIGINT (then stop every module within 10 s and exit 0)')
    .requiredOption('-c, --config <file>', 'YAML config file (see config/gateway.example.yaml)')
    .option('--log-level <level>', 'override observability.logLevel')
    .addHelpText('after', '\nExit codes: 0 stopped cleanly, 1 bad config or a module failed to start.\nExample: pdm-gateway run --config config/demo.yaml')
    .action(async (opts: { config: string; logLevel?: string }) => {
      let loaded;
      try {
        loaded = loadConfig(opts.config);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        process.stderr.write(`${opts.config}: ${e.issues.length} problem${e.issues.length === 1 ? '' : 's'}\n${e.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}\n`);
        process.exitCode = 1;
        return;
      }
      const logger = createLogger({ level: opts.logLevel ?? loaded.config.observability.logLevel });
      const growth = loaded.config.gateway.heapGrowthPercent;
      if (growth > 0) {
        applyHeapGrowth(growth);
        logger.info({ heapGrowthPercent: growth }, `heap growth limited to ${growth}% of live data`);
      }
      const notify = new SdNotify(logger);
      // Loaded here, not at the top: check-config and --help stay fast without node-opcua & co.
      const { Gateway } = await import('../gateway');
      const gateway = new Gateway(loaded, { logger });
      let stopping: Promise<void> | undefined;
      const stop = (signal: string) => {
        if (stopping) return;
        logger.info({ signal }, 'stopping');
        notify.stopping();
        stopping = gateway.stop(STOP_DEADLINE_MS).then(({ timedOut }) => {
          notify.close();
          logger.flush?.();
          // Exit 0 when stopped cleanly; 1 names the module that hung (already logged).
          process.exit(timedOut.length === 0 ? 0 : 1);
        });
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      try {
        await gateway.start();
      } catch (e) {
        logger.fatal({ err: errorMessage(e) }, e instanceof FatalError ? e.message : 'gateway failed to start');
        notify.close();
        process.exitCode = 1;
        return;
      }
      notify.ready(`running ${loaded.config.sources.length} sources, ${loaded.config.assets.length} assets`);
    });
}
