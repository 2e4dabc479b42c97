import { huber, mse } from '../../src/ml/losses';
import { AdamW } from '../../src/ml/optimizer';
import { Rng } from '../../src/ml/rng';
import { constantLr, cosineLr, stepLr } from '../../src/ml/schedule';
import { Sequential } from '../../src/ml/sequential';
import { fit, formatEpoch, type EpochReport } from '../../src/ml/trainer';

function linearData(n: number, seed: number): { x: Float32Array; y: Float32Array; n: number } {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * 3 }, () => rng.normal());
  const y = Float32Array.from({ length: n }, (_, i) => 2 * x[i * 3]! - x[i * 3 + 1]! + 0.5 * x[i * 3 + 2]! + 1);
  return { x, y, n };
}

describe('training', () => {
  it('fits a linear function with AdamW and a cosine schedule (loss falls by 100x)', () => {
    const model = new Sequential([{ type: 'dense', units: 1 }], [3], { seed: 1 });
    const r = fit(model, linearData(256, 2), { epochs: 60, batchSize: 32, loss: mse, schedule: cosineLr({ lr: 0.05, epochs: 60 }) });
    expect(r.history[r.history.length - 1]!.loss).toBeLessThan(r.history[0]!.loss / 100);
    const w = model.params()[0]!.value;
    expect(w[0]).toBeCloseTo(2, 1);
    expect(w[1]).toBeCloseTo(-1, 1);
    expect(model.params()[1]!.value[0]).toBeCloseTo(1, 1);
  });

  it('is reproducible: the same seed gives bit-identical weights', () => {
    const run = (): number[] => {
      const model = new Sequential([{ type: 'dense', units: 4 }, { type: 'activation', fn: 'relu' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 1 }], [3], { seed: 5 });
      fit(model, linearData(64, 3), { epochs: 3, batchSize: 16, loss: huber(1), schedule: constantLr(0.01), seed: 9 });
      return model.params().flatMap((p) => Array.from(p.value));
    };
    expect(run()).toEqual(run());
  });

  it('stops early after `patience` epochs without improvement and restores the best epoch', () => {
    const model = new Sequential([{ type: 'dense', units: 1 }], [3], { seed: 1 });
    const vals = [5, 3, 4, 4, 4, 1];
    let calls = 0;
    const reports: EpochReport[] = [];
    const weightsAt: number[][] = [];
    const r = fit(model, linearData(32, 4), {
      epochs: 10,
      batchSize: 8,
      loss: mse,
      schedule: constantLr(0.01),
      validate: (m) => {
        weightsAt.push(m.params().flatMap((p) => Array.from(p.value)));
        return vals[calls++]!;
      },
      valName: 'v',
      patience: 3,
      onEpoch: (e) => reports.push(e),
    });
    expect(r.stoppedEarly).toBe(true);
    expect(r.history.length).toBe(5);
    expect(r.bestEpoch).toBe(2);
    expect(r.bestVal).toBe(3);
    expect(model.params().flatMap((p) => Array.from(p.value))).toEqual(weightsAt[1]);
    expect(reports.map((e) => e.bestEpoch)).toEqual([1, 2, 2, 2, 2]);
    expect(formatEpoch(reports[2]!)).toMatch(/^epoch 3\/10 {2}loss \S+ {2}v 4\.0000 \(best 3\.0000 @2\) {2}lr 1\.0e-2 {2}\d+:\d\d elapsed, ~\d+:\d\d left$/);
  });

  it('keepBest: false keeps the last epoch\'s weights though validation picked an earlier one', () => {
    const model = new Sequential([{ type: 'dense', units: 1 }], [3], { seed: 1 });
    const vals = [1, 2, 3];
    const weightsAt: number[][] = [];
    const r = fit(model, linearData(32, 4), {
      epochs: 3,
      batchSize: 8,
      loss: mse,
      schedule: constantLr(0.01),
      validate: (m) => {
        weightsAt.push(m.params().flatMap((p) => Array.from(p.value)));
        return vals[weightsAt.length - 1]!;
      },
      keepBest: false,
    });
    expect(r.bestEpoch).toBe(1);
    expect(weightsAt[2]).not.toEqual(weightsAt[0]);
    expect(model.params().flatMap((p) => Array.from(p.value))).toEqual(weightsAt[2]);
  });

  it('rejects data whose size does not match the model, and stops on a diverging loss', () => {
    const model = new Sequential([{ type: 'dense', units: 1 }], [3]);
    expect(() => fit(model, { x: new Float32Array(5), y: new Float32Array(1), n: 1 }, { epochs: 1, batchSize: 1, loss: mse, schedule: constantLr(1) })).toThrow('training data: x holds 5 values, expected 1 samples x 3');
    const bad = { x: Float32Array.of(1, 1, 1), y: Float32Array.of(Number.NaN), n: 1 };
    expect(() => fit(model, bad, { epochs: 1, batchSize: 1, loss: mse, schedule: constantLr(1) })).toThrow('training diverged at epoch 1, step 1: loss is NaN');
  });

  it('AdamW decays weights but not biases; gradNorm (what clipNorm compares) is the global L2 norm', () => {
    const model = new Sequential([{ type: 'dense', units: 2 }], [2], { seed: 1 });
    const [W, b] = model.params();
    W!.value.fill(1);
    b!.value.fill(1);
    const opt = new AdamW(model.params(), { lr: 0.1, weightDecay: 0.5 });
    opt.step();
    expect(W!.value[0]).toBeCloseTo(0.95, 6);
    expect(b!.value[0]).toBe(1);
    W!.grad.fill(30);
    b!.grad.fill(40);
    expect(opt.gradNorm()).toBeCloseTo(Math.sqrt(4 * 900 + 2 * 1600), 6);
  });

  it('schedules: warm-up then cosine to minLr, step decay, constant', () => {
    const c = cosineLr({ lr: 1, minLr: 0, warmupEpochs: 1, epochs: 11 });
    expect(c.at(0, 0.5)).toBeCloseTo(0.5, 12);
    expect(c.at(1, 0)).toBeCloseTo(1, 12);
    expect(c.at(6, 0)).toBeCloseTo(0.5, 12);
    expect(c.at(11, 0)).toBeCloseTo(0, 12);
    expect(stepLr({ lr: 1, every: 2, factor: 0.5 }).at(5, 0)).toBe(0.25);
    expect(constantLr(0.3).at(7, 0.2)).toBe(0.3);
  });

  it('the seeded RNG is deterministic and its normals have unit variance', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    expect(Array.from({ length: 5 }, () => a.nextU32())).toEqual(Array.from({ length: 5 }, () => b.nextU32()));
    const r = new Rng(1);
    const v = Array.from({ length: 20000 }, () => r.normal());
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(sd).toBeGreaterThan(0.97);
    expect(sd).toBeLessThan(1.03);
    expect(new Rng(1).shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
