/**
 * Errors are typed by what the caller should do next (Telegraf's habit):
 * - `retry`: transient (network, device busy); try again later with backoff.
 * - `skip`: this value / message / file is bad; count it, report it, carry on.
 * - `fatal`: the configuration or installation is wrong; stop and tell the operator.
 */
export type ErrorAction = 'retry' | 'skip' | 'fatal';

export abstract class PdmError extends Error {
  abstract readonly action: ErrorAction;
  /** The thing at fault: a config path, a tag, an endpoint, a model id. */
  readonly subject: string;
  constructor(subject: string, message: string, options?: { cause?: unknown }) {
    super(subject ? `${subject}: ${message}` : message, options);
    this.subject = subject;
    this.name = new.target.name;
  }
}

export class RetryableError extends PdmError {
  readonly action = 'retry' as const;
}

export class SkipError extends PdmError {
  readonly action = 'skip' as const;
}

export class FatalError extends PdmError {
  readonly action = 'fatal' as const;
}

/** One configuration problem, with the path at fault (`sources[1].registers[3].type`). */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

export class ConfigError extends FatalError {
  readonly issues: readonly ConfigIssue[];
  constructor(file: string, issues: readonly ConfigIssue[]) {
    super(file, `invalid configuration:\n${issues.map(formatIssue).join('\n')}`);
    this.issues = issues;
  }
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.line !== undefined ? ` (line ${i.line}${i.column !== undefined ? `, column ${i.column}` : ''})` : '';
  return `${i.path || '(root)'}: ${i.message}${where}`;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
