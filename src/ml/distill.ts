import type { Sequential } from './sequential';
import type { Dataset } from './trainer';

/**
 * Knowledge distillation for regression: the student's training targets are the teacher's
 * outputs on the same inputs (soft targets, smoother than the labels), optionally blended with
 * the true labels: y = alpha * teacher + (1 - alpha) * label.
 */
export function distillationSet(teacher: Sequential, x: Float32Array, labels?: Float32Array, alpha = 1): Dataset {
  const t = teacher.predict(x);
  const y = new Float32Array(t.length);
  for (let i = 0; i < t.length; i++) y[i] = labels ? alpha * t[i]! + (1 - alpha) * labels[i]! : t[i]!;
  const inSize = teacher.inShape.reduce((a, b) => a * b, 1);
  return { x, y, n: x.length / inSize };
}
