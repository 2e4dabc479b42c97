import type { Command } from 'commander';
import { CloudIngest } from '../cloud/ingest';
import { createLogger } from '../observability/logger';

/** `pdm-gateway cloud-ingest`: the demo's cloud end, storing every gateway's records in SQLite. */
export function registerCloudIngest(program: Command): void {
  program
    .command('cloud-ingest')
    .description('Subscribe to pdm/v1/# and store the records in SQLite (deduplicated by id, gaps recorded); prints counts every 5 s')
    .requiredOption('--url <url>', 'broker URL, e.g. mqtt://127.0.0.1:11883')
    .option('--db <file>', 'SQLite file', 'cloud-ingest.db')
    .option('--client-id <id>', 'persistent session id', 'pdm-cloud-ingest')
    .option('--mqtt <version>', '4 (3.1.1) or 5', '4')
    .action(async (o: { url: string; db: string; clientId: string; mqtt: string }) => {
      const logger = createLogger();
      const ingest = new CloudIngest({ url: o.url, file: o.db, clientId: o.clientId, logger, mqtt: { protocolVersion: o.mqtt === '5' ? 5 : 4 } });
      await ingest.start();
      const timer = setInterval(() => logger.info(ingest.stats(), 'cloud-ingest'), 5000);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      clearInterval(timer);
      await ingest.stop();
    });
}
