// node-opcua-debug (what node-opcua re-exports these from) so tests can route logs without loading node-opcua.
import { setErrorLogger, setWarningLogger } from 'node-opcua-debug';
import { format } from 'node:util';
import type { Logger } from '../../observability/logger';

/**
 * node-opcua prints its warnings and errors with console.log, on stdout, which would break JSON
 * log lines under systemd and `browse --snippet > file.yaml`. Until a logger is given they go to
 * stderr; after `routeNodeOpcuaLogs`, to pino: warnings at debug (the sources already report what
 * matters, naming the endpoint), errors at warn.
 */
/** node-opcua's loggers get `{ filename, callerline }` first: keep only the message. */
const text = (args: unknown[]): string => {
  const first = args[0] as { filename?: unknown } | undefined;
  return format(...(first && typeof first === 'object' && 'filename' in first ? args.slice(1) : args));
};
const toStderr = (...args: unknown[]): void => void process.stderr.write(`node-opcua: ${text(args)}\n`);
setWarningLogger(toStderr);
setErrorLogger(toStderr);

let routed = false;

export function routeNodeOpcuaLogs(logger: Logger): void {
  if (routed) return;
  routed = true;
  const log = logger.child({ lib: 'node-opcua' });
  setWarningLogger((...args: unknown[]) => log.debug(text(args)));
  setErrorLogger((...args: unknown[]) => log.warn(text(args)));
}
