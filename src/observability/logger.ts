import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Pretty output on a terminal, JSON lines otherwise (journald, files, log shippers). `fd` 2 sends
 * the log to stderr, for commands whose stdout is their result.
 */
export function createLogger(opts: { level?: string; pretty?: boolean; fd?: 1 | 2 } = {}): Logger {
  const level = opts.level ?? process.env.PDM_LOG_LEVEL ?? 'info';
  const fd = opts.fd ?? 1;
  const pretty = opts.pretty ?? (fd === 2 ? process.stderr : process.stdout).isTTY === true;
  const redact = { paths: ['*.password', '*.key', '*.privateKey', '*.secret', '*.token', 'password'], censor: '[redacted]' };
  if (pretty) {
    return pino({ level, redact, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', destination: fd } } });
  }
  return fd === 2 ? pino({ level, redact }, pino.destination({ fd, sync: true })) : pino({ level, redact });
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
