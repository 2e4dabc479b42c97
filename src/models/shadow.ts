/**
 * Shadow mode: a candidate scores the same windows as the active model, its outputs go nowhere
 * but into these counters and the log. Two scores disagree when they fall on different sides of
 * the anomaly threshold, or differ by more than `tolerance` of the larger of them.
 */
export function disagrees(active: number, candidate: number, threshold: number | undefined, tolerance: number): boolean {
  if (threshold !== undefined && active > threshold !== candidate > threshold) return true;
  const scale = Math.max(Math.abs(active), Math.abs(candidate));
  return Math.abs(candidate - active) > tolerance * scale;
}

export class ShadowCounters {
  runs = 0;
  disagreements = 0;
  faults = 0;
  private sumAbsDelta = 0;

  record(active: number, candidate: number, disagree: boolean): void {
    this.runs++;
    if (disagree) this.disagreements++;
    this.sumAbsDelta += Math.abs(candidate - active);
  }

  meanAbsDelta(): number {
    return this.runs === 0 ? 0 : this.sumAbsDelta / this.runs;
  }
}
