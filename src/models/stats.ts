import type { RejectReason } from './errors';

/** Plain counters of the model layer (exported as Prometheus metrics by the lead). */
export class ModelStats {
  windowsScored = 0;
  scoreErrors = 0;
  /** Windows not scored yet because a baseline was still being calibrated (not errors). */
  windowsCalibrating = 0;
  badOutputs = 0;
  swaps = 0;
  rollbacks = 0;
  promotions = 0;
  shadowRuns = 0;
  shadowDisagreements = 0;
  shadowFaults = 0;
  readonly rejected: Record<RejectReason, number> = {
    manifest: 0, 'missing-file': 0, sha256: 0, unsigned: 0, 'unknown-key': 0, 'bad-signature': 0,
    load: 0, shape: 0, binding: 0, probe: 0, output: 0,
  };

  snapshot(extra: { loaded: number; candidates: number; batches: number; batchedWindows: number; maxBatchSeen: number; runsInFlightPeak: number; inFlight: number; workerRestarts: number }): Record<string, number> {
    const rejectedTotal = Object.values(this.rejected).reduce((a, b) => a + b, 0);
    const out: Record<string, number> = {
      loaded: extra.loaded, candidates: extra.candidates, windowsScored: this.windowsScored, scoreErrors: this.scoreErrors, windowsCalibrating: this.windowsCalibrating,
      badOutputs: this.badOutputs, swaps: this.swaps, rollbacks: this.rollbacks, promotions: this.promotions,
      shadowRuns: this.shadowRuns, shadowDisagreements: this.shadowDisagreements, shadowFaults: this.shadowFaults,
      batches: extra.batches, meanBatch: extra.batches === 0 ? 0 : extra.batchedWindows / extra.batches, maxBatchSeen: extra.maxBatchSeen, runsInFlightPeak: extra.runsInFlightPeak,
      inFlight: extra.inFlight, workerRestarts: extra.workerRestarts, rejected: rejectedTotal,
    };
    for (const [k, v] of Object.entries(this.rejected)) out[`rejected_${k.replace('-', '_')}`] = v;
    return out;
  }
}
