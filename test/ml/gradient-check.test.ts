import { TrainingOnlyLayer } from '../../src/ml/layers';
import { huber, mse } from '../../src/ml/losses';
import { Rng } from '../../src/ml/rng';
import { Sequential } from '../../src/ml/sequential';
import { sizeOf } from '../../src/ml/tensor';
import { LAYER_CASES } from './fixtures';

/**
 * Central finite differences against the analytic backward pass, in float64, for every layer
 * type. L = sum(r * y) with a fixed random r, so dL/dy = r.
 */
function gradCheck(model: Sequential, batch: number, seed: number): { worst: number; checked: number } {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: batch * sizeOf(model.inShape) }, () => rng.normal());
  const r = Float64Array.from({ length: batch * sizeOf(model.outShape) }, () => rng.normal());
  const reseed = (): void => model.layers.forEach((l) => l instanceof TrainingOnlyLayer && l.seed(99));
  const lossAt = (): number => {
    reseed();
    const y = model.forward({ data: x, shape: [batch, ...model.inShape] }, true);
    let s = 0;
    for (let i = 0; i < r.length; i++) s += r[i]! * y.data[i]!;
    return s;
  };
  lossAt();
  const dx = model.backward({ data: r, shape: [batch, ...model.outShape] }).data.slice();
  const grads = model.params().map((p) => p.grad.slice());
  const eps = 1e-6;
  let worst = 0;
  let checked = 0;
  const compare = (analytic: number, arr: Float64Array, i: number): void => {
    const keep = arr[i]!;
    arr[i] = keep + eps;
    const up = lossAt();
    arr[i] = keep - eps;
    const down = lossAt();
    arr[i] = keep;
    const numeric = (up - down) / (2 * eps);
    const err = Math.abs(analytic - numeric) / Math.max(1, Math.abs(analytic) + Math.abs(numeric));
    worst = Math.max(worst, err);
    checked++;
  };
  model.params().forEach((p, k) => {
    for (let i = 0; i < p.value.length; i++) compare(grads[k]![i]!, p.value as Float64Array, i);
  });
  for (let i = 0; i < x.length; i++) compare(dx[i]!, x, i);
  return { worst, checked };
}

describe('gradient check (finite differences, float64)', () => {
  for (const c of LAYER_CASES) {
    it(`${c.name}: analytic gradients of weights and inputs match`, () => {
      const model = new Sequential(c.specs, c.inShape, { seed: 3, dtype: 'float64' });
      const { worst, checked } = gradCheck(model, 3, 11);
      expect(checked).toBe(model.paramCount() + 3 * sizeOf(c.inShape));
      expect(worst).toBeLessThan(1e-7);
    });
  }

  it('dropout really drops units in training and is the identity at inference', () => {
    const model = new Sequential([{ type: 'dropout', rate: 0.5 }], [1000], { dtype: 'float64' });
    const x = new Float64Array(1000).fill(1);
    const train = model.forward({ data: x, shape: [1, 1000] }, true).data;
    const zeros = train.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(400);
    expect(zeros).toBeLessThan(600);
    expect(new Set(train)).toEqual(new Set([0, 2]));
    expect(Array.from(model.forward({ data: x, shape: [1, 1000] }, false).data)).toEqual(Array.from(x));
  });

  it('gaussian noise perturbs in training only', () => {
    const model = new Sequential([{ type: 'gaussian-noise', std: 1 }], [500], { dtype: 'float64' });
    const x = new Float64Array(500);
    const train = model.forward({ data: x, shape: [1, 500] }, true).data;
    const sd = Math.sqrt(Array.from(train).reduce((a, v) => a + v * v, 0) / 500);
    expect(sd).toBeGreaterThan(0.85);
    expect(sd).toBeLessThan(1.15);
    expect(Array.from(model.forward({ data: x, shape: [1, 500] }, false).data)).toEqual(Array.from(x));
  });

  for (const loss of [mse, huber(0.5)]) {
    it(`${loss.name} loss gradient matches finite differences`, () => {
      const rng = new Rng(5);
      const pred = Float64Array.from({ length: 20 }, () => rng.normal());
      const target = Float64Array.from({ length: 20 }, () => rng.normal());
      const grad = new Float64Array(20);
      loss.compute(pred, target, grad);
      const scratch = new Float64Array(20);
      for (let i = 0; i < 20; i++) {
        const keep = pred[i]!;
        pred[i] = keep + 1e-6;
        const up = loss.compute(pred, target, scratch);
        pred[i] = keep - 1e-6;
        const down = loss.compute(pred, target, scratch);
        pred[i] = keep;
        expect(grad[i]!).toBeCloseTo((up - down) / 2e-6, 7);
      }
    });
  }

  it('huber is quadratic inside delta and linear outside', () => {
    const g = new Float64Array(1);
    expect(huber(1).compute(Float64Array.of(0.5), Float64Array.of(0), g)).toBeCloseTo(0.125, 12);
    expect(huber(1).compute(Float64Array.of(3), Float64Array.of(0), g)).toBeCloseTo(2.5, 12);
    expect(g[0]).toBe(1);
  });
});
