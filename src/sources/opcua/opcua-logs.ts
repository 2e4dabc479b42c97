import { setErrorLogger, setWarningLogger } from 'node-opcua';
import { format } from 'node:util';
import type { Logger } from '../../observability/logger';

let routed = false;

/**
 * node-opcua prints its warnings and errors with console.log, which would break JSON log lines
 * under systemd. Route them to pino once per process: its warnings at debug (the source already
 * reports what matters, with the endpoint), its errors at warn.
 */
export function routeNodeOpcuaLogs(logger: Logger): void {
  if (routed) return;
  routed = true;
  const log = logger.child({ lib: 'node-opcua' });
  setWarningLogger((...args: unknown[]) => log.debug(format(...args)));
  setErrorLogger((...args: unknown[]) => log.warn(format(...args)));
}
