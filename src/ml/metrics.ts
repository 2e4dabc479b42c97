/**
 * The true RUL capped like the training labels. Figures against it are not the C-MAPSS protocol's
 * (d = predicted - true, truth as given); they are printed beside it because part of the published
 * work scores capped test labels, and on our folds the two differ by ~1.5 RMSE.
 */
export function capTruth(truth: readonly number[], cap: number): number[] {
  return truth.map((t) => Math.min(t, cap));
}

/** RMSE and the PHM08 score (summed) of one set of predictions. */
export function rulFigures(pred: ArrayLike<number>, truth: ArrayLike<number>): { rmse: number; score: number } {
  return { rmse: rmse(pred, truth), score: phm08Score(pred, truth) };
}

/** How every report names the figures against capped truth. */
export const cappedTruthCaption = (cap: number): string => `against the true RUL capped at ${cap}, the training cap, as work that caps its test labels at its own cap scores (not this protocol's figure)`;

/** Root mean squared error. */
export function rmse(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += (pred[i]! - truth[i]!) ** 2;
  return Math.sqrt(s / truth.length);
}

/**
 * PHM08 challenge score (Saxena et al. 2008): d = predicted - true; late predictions (d >= 0)
 * cost exp(d/10) - 1, early ones exp(-d/13) - 1. A sum, so it grows with the number of engines.
 */
export function phm08Score(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < truth.length; i++) {
    const d = pred[i]! - truth[i]!;
    s += d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
  }
  return s;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export function confusion(pred: ArrayLike<number>, truth: ArrayLike<number>, into: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 }): Confusion {
  for (let i = 0; i < truth.length; i++) {
    const p = pred[i]! > 0;
    const t = truth[i]! > 0;
    if (p && t) into.tp++;
    else if (p) into.fp++;
    else if (t) into.fn++;
    else into.tn++;
  }
  return into;
}

/** SKAB's point-wise outlier metrics: F1, false alarm rate FP/(FP+TN), missed alarm rate FN/(FN+TP). */
export function detectionMetrics(c: Confusion): { f1: number; far: number; mar: number; precision: number; recall: number } {
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0;
  return {
    f1: c.tp > 0 ? (2 * c.tp) / (2 * c.tp + c.fp + c.fn) : 0,
    far: c.fp + c.tn > 0 ? c.fp / (c.fp + c.tn) : 0,
    mar: c.fn + c.tp > 0 ? c.fn / (c.fn + c.tp) : 0,
    precision,
    recall,
  };
}
