import { ensure, type Dtype, type FArray } from './tensor';

/**
 * A loss over a batch: returns the mean loss and writes dLoss/dPrediction into `grad`
 * (same length as `pred`), already divided by the number of elements.
 */
export interface Loss {
  readonly name: string;
  compute(pred: FArray, target: FArray, grad: FArray): number;
}

export const mse: Loss = {
  name: 'mse',
  compute(pred, target, grad) {
    const n = pred.length;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const d = pred[i]! - target[i]!;
      sum += d * d;
      grad[i] = (2 * d) / n;
    }
    return sum / n;
  },
};

/**
 * Squared error that weighs late predictions (pred > target) `lateWeight` times as much as early
 * ones: the PHM08 score punishes a late RUL more than an early one.
 */
export function asymmetricMse(lateWeight: number): Loss {
  return {
    name: `asymmetric-mse(${lateWeight})`,
    compute(pred, target, grad) {
      const n = pred.length;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const d = pred[i]! - target[i]!;
        const w = d > 0 ? lateWeight : 1;
        sum += w * d * d;
        grad[i] = (2 * w * d) / n;
      }
      return sum / n;
    },
  };
}

/** Huber: quadratic within `delta` of the target, linear beyond (robust to label noise). */
export function huber(delta = 1): Loss {
  return {
    name: `huber(${delta})`,
    compute(pred, target, grad) {
      const n = pred.length;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const d = pred[i]! - target[i]!;
        const a = Math.abs(d);
        if (a <= delta) {
          sum += 0.5 * d * d;
          grad[i] = d / n;
        } else {
          sum += delta * (a - 0.5 * delta);
          grad[i] = (delta * Math.sign(d)) / n;
        }
      }
      return sum / n;
    },
  };
}

/** Keeps a gradient buffer of the right size for a loss. */
export class LossBuffer {
  private buf: FArray | undefined;
  constructor(private readonly dtype: Dtype) {}
  grad(n: number): FArray {
    return (this.buf = ensure(this.buf, this.dtype, n));
  }
}
