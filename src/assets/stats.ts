/** Plain counters of one asset pipeline; the lead exports them as Prometheus metrics. */
export interface AssetStatsSnapshot {
  readonly samples: number;
  readonly badSamples: number;
  readonly nonFiniteSamples: number;
  readonly invalidSamples: number;
  readonly lateSamples: number;
  readonly futureSamples: number;
  readonly frames: number;
  readonly filledCells: number;
  readonly gapResets: number;
  readonly windows: number;
  readonly windowsDegraded: number;
  readonly windowsSkipped: number;
  readonly windowsSkippedEmpty: number;
  readonly windowsSkippedCoverage: number;
  readonly nonFiniteFeatures: number;
  /** Windows whose features came from running sums (sliding windows: rows entered and left). */
  readonly windowsSlid: number;
  /** Sliding windows computed from scratch to rebuild the running sums. */
  readonly slidingSumsRebuilt: number;
  readonly scored: number;
  readonly scoreErrors: number;
  /** Windows some model could not score yet because its per-asset baseline was being calibrated. */
  readonly windowsCalibrating: number;
  readonly healthProblems: number;
  readonly alarmEvents: number;
  readonly activeAlarms: number;
  readonly openFrames: number;
  readonly windowsInFlight: number;
}

export class AssetStats {
  samples = 0;
  badSamples = 0;
  nonFiniteSamples = 0;
  invalidSamples = 0;
  lateSamples = 0;
  futureSamples = 0;
  frames = 0;
  filledCells = 0;
  gapResets = 0;
  windows = 0;
  windowsDegraded = 0;
  windowsSkippedEmpty = 0;
  windowsSkippedCoverage = 0;
  nonFiniteFeatures = 0;
  scored = 0;
  scoreErrors = 0;
  windowsCalibrating = 0;
  healthProblems = 0;
  alarmEvents = 0;

  snapshot(openFrames: number, windowsInFlight: number, activeAlarms: number, sliding: { slidWindows: number; loadedWindows: number }): AssetStatsSnapshot {
    return {
      samples: this.samples, badSamples: this.badSamples, nonFiniteSamples: this.nonFiniteSamples,
      invalidSamples: this.invalidSamples, lateSamples: this.lateSamples, futureSamples: this.futureSamples,
      frames: this.frames, filledCells: this.filledCells, gapResets: this.gapResets,
      windows: this.windows, windowsDegraded: this.windowsDegraded,
      windowsSkipped: this.windowsSkippedEmpty + this.windowsSkippedCoverage,
      windowsSkippedEmpty: this.windowsSkippedEmpty, windowsSkippedCoverage: this.windowsSkippedCoverage,
      nonFiniteFeatures: this.nonFiniteFeatures, windowsSlid: sliding.slidWindows, slidingSumsRebuilt: sliding.loadedWindows, scored: this.scored, scoreErrors: this.scoreErrors, windowsCalibrating: this.windowsCalibrating,
      healthProblems: this.healthProblems, alarmEvents: this.alarmEvents, activeAlarms,
      openFrames, windowsInFlight,
    };
  }
}
