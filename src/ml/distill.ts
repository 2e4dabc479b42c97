import type { Sequential } from './sequential';
import type { Dataset } from './trainer';
import type { FArray } from './tensor';

/**
 * Knowledge distillation for regression: the student's training targets are the teacher's
 * outputs on the same inputs (soft targets, smoother than the labels), optionally blended with
 * the true labels: y = alpha * teacher + (1 - alpha) * label.
 */
export function distillationSet(teacher: Sequential | readonly Sequential[], x: FArray, labels?: FArray, alpha = 1): Dataset {
  const members = Array.isArray(teacher) ? teacher : [teacher as Sequential];
  // An ensemble teaches with the mean of its members.
  const t = members[0]!.predict(x);
  for (const m of members.slice(1)) {
    const p = m.predict(x);
    for (let i = 0; i < t.length; i++) t[i]! += p[i]!;
  }
  for (let i = 0; i < t.length; i++) t[i]! /= members.length;
  const y = t.slice();
  for (let i = 0; i < t.length; i++) y[i] = labels ? alpha * t[i]! + (1 - alpha) * labels[i]! : t[i]!;
  const inSize = members[0]!.inShape.reduce((a: number, b: number) => a * b, 1);
  return { x, y, n: x.length / inSize };
}
