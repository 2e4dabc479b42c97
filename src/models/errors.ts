import { SkipError } from '../core/errors';

/** Why a model version was refused; each is counted under its own name in stats(). */
export type RejectReason =
  | 'manifest' | 'missing-file' | 'sha256' | 'unsigned' | 'unknown-key' | 'bad-signature'
  | 'load' | 'shape' | 'binding' | 'probe' | 'output';

/** A model version that must not run. The running version keeps scoring. */
export class ModelRejectedError extends SkipError {
  constructor(subject: string, readonly reason: RejectReason, message: string, options?: { cause?: unknown }) {
    super(subject, message, options);
  }
}

/** One window could not be scored by a model (input assembly, shapes, outputs). */
export class ScoreError extends SkipError {}
