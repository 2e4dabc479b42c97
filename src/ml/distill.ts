import type { Sequential } from './sequential';
import type { Dataset } from './trainer';
import type { FArray } from './tensor';

/**
 * Knowledge distillation for regression: the student's training targets are the teacher's
 * outputs on the same inputs (soft targets, smoother than the labels), optionally blended with
 * the true labels: y = alpha * teacher + (1 - alpha) * label.
 */
export function distillationSet(teacher: Sequential, x: FArray, labels?: FArray, alpha = 1): Dataset {
  const t = teacher.predict(x);
  const y = t.slice();
  for (let i = 0; i < t.length; i++) y[i] = labels ? alpha * t[i]! + (1 - alpha) * labels[i]! : t[i]!;
  const inSize = teacher.inShape.reduce((a, b) => a * b, 1);
  return { x, y, n: x.length / inSize };
}
