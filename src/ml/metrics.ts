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
