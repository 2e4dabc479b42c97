/** @jest-environment ./test/ml/ort-environment.js */
import { buildProgram } from '../../src/cli/program';
import { CMAPSS_SENSORS, lastWindows, type Engine } from '../../src/ml/cmapss-data';
import { readOnnxModel } from '../../src/ml/onnx';
import { cvOptionsKey } from '../../src/ml/rul-cv';
import { RUL_DEFAULTS, rulArchitecture, rulMember } from '../../src/ml/rul-model';
import { Sequential } from '../../src/ml/sequential';
import { expectOnnxMatchesForward } from './rul-export-check';

describe('exp-smooth layer (fixed exponential smoothing over time)', () => {
  it('computes y[0] = x[0], y[t] = a x[t] + (1 - a) y[t-1], per channel', () => {
    const model = new Sequential([{ type: 'exp-smooth', alpha: 0.5 }], [4, 2], { dtype: 'float64' });
    const x = Float64Array.of(1, 10, 2, 10, 3, 20, 4, 0);
    const y = Array.from(model.predict(x));
    expect(y).toEqual([1, 10, 1.5, 10, 2.25, 15, 3.125, 7.5]);
    expect(model.paramCount()).toBe(0);
  });

  it('alpha 1 is the identity, and alpha outside (0, 1] is refused', () => {
    const model = new Sequential([{ type: 'exp-smooth', alpha: 1 }], [3, 1], { dtype: 'float64' });
    expect(Array.from(model.predict(Float64Array.of(4, -2, 7)))).toEqual([4, -2, 7]);
    expect(() => new Sequential([{ type: 'exp-smooth', alpha: 0 }], [3, 1])).toThrow('exp-smooth: alpha must be in (0, 1], got 0');
    expect(() => new Sequential([{ type: 'exp-smooth', alpha: 1.5 }], [3, 1])).toThrow('alpha must be in (0, 1]');
    expect(() => new Sequential([{ type: 'exp-smooth', alpha: 0.3 }], [3])).toThrow('exp-smooth: expected an input of shape [frames, channels]');
  });

  it('a window front-padded with its first row stays at that row through the padding (short engines)', () => {
    const engine: Engine = { unit: 1, cycles: 3, sensors: Float32Array.from({ length: 3 * 14 }, (_, i) => Math.floor(i / 14) + 1) };
    const norm = { mean: CMAPSS_SENSORS.map(() => 0), std: CMAPSS_SENSORS.map(() => 1) };
    const x = lastWindows([engine], 6, norm);
    const y = new Sequential([{ type: 'exp-smooth', alpha: 0.5 }], [6, 14]).predict(x);
    // Rows 0-3 are the padding (cycle 1 repeated), then cycles 2 and 3.
    const col = Array.from({ length: 6 }, (_, t) => y[t * 14 + 5]!);
    expect(col).toEqual([1, 1, 1, 1, 1.5, 2.25]);
  });

  it('exports as one MatMul with a constant [T, T] lower-triangular initializer, no Transpose on a channels-last input', () => {
    const model = new Sequential([{ type: 'exp-smooth', alpha: 0.25 }, { type: 'dense', units: 1 }], [5, 3]);
    const info = readOnnxModel(model.toOnnx());
    expect(info.nodes.map((n) => n.opType)).toEqual(['MatMul', 'MatMul', 'Add', 'Identity']);
    const m = info.initializers.get('l0_exp_smooth_M')!;
    expect(m.dims).toEqual([5, 5]);
    const d = m.data as Float32Array;
    expect(d[0]).toBe(1);
    expect(d[1]).toBe(0);
    expect(d[4 * 5 + 0]).toBeCloseTo(0.75 ** 4, 7);
    expect(d[4 * 5 + 4]).toBeCloseTo(0.25, 7);
    // Each row sums to 1: a constant signal passes unchanged.
    for (let t = 0; t < 5; t++) expect(d.slice(t * 5, t * 5 + 5).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
  });

  it('--smooth puts it in front of the RUL network; the shipped graph matches the TS prediction', async () => {
    expect(rulArchitecture('student')[0]!.type).toBe('gaussian-noise');
    const specs = rulArchitecture('student', { noise: 0.3, bottleneck: 2, smooth: 0.3 });
    expect(specs[0]).toEqual({ type: 'exp-smooth', alpha: 0.3 });
    expect(specs[1]).toEqual({ type: 'gaussian-noise', std: 0.3 });
    const opts = { ...RUL_DEFAULTS, smooth: 0.3 };
    const member = rulMember(opts, 0);
    expect(member.paramCount()).toBe(2699);
    // The layer draws no random numbers: the network starts from the same weights as without it.
    expect(member.params().map((p) => Array.from(p.value))).toEqual(rulMember(RUL_DEFAULTS, 0).params().map((p) => Array.from(p.value)));
    await expectOnnxMatchesForward(member, 5, [31, 50, 80], 2);
  });

  it('cross-validation keys name smooth only when it is on (older saved figures still match)', () => {
    expect(cvOptionsKey(RUL_DEFAULTS)).not.toHaveProperty('smooth');
    expect(cvOptionsKey({ ...RUL_DEFAULTS, smooth: 0.3 })).toMatchObject({ smooth: 0.3 });
  });

  it('train rul refuses --smooth outside [0, 1], naming the option', async () => {
    await expect(buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--data', '/nonexistent', '--smooth', '1.5'])).rejects.toThrow('--smooth: expected an alpha in [0, 1] (0 = off), got 1.5');
  });
});
