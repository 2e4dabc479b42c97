/** @jest-environment ./test/ml/ort-environment.js */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/program';
import { CMAPSS_SENSORS, lastWindows, readCmapss, type Engine } from '../../src/ml/cmapss-data';
import type { LayerSpec } from '../../src/ml/layers';
import { asymmetricMse } from '../../src/ml/losses';
import { phm08Score, rmse } from '../../src/ml/metrics';
import { OrtModel } from '../../src/ml/ort-predict';
import { Rng } from '../../src/ml/rng';
import { combineSeedRuns, crossValidateRul, cvAtOffset, cvOptionsKey, type CvFigures } from '../../src/ml/rul-cv';
import { memberWindowsNote, withGruWindow } from '../../src/ml/rul-ensemble';
import { clipRul, predictLast, RUL_DEFAULTS, rulArchitecture, rulDataset, rulLoss, rulMember, rulToOnnx, splitEngines } from '../../src/ml/rul-model';
import { readOnnxModel } from '../../src/ml/onnx';
import { Sequential } from '../../src/ml/sequential';
import { describeWithData } from '../helpers/shared-data';
import { cliOutput } from '../helpers/cli';

const TINY: LayerSpec[] = [{ type: 'conv1d', filters: 3, kernel: 5 }, { type: 'activation', fn: 'leaky-relu', alpha: 0.1 }, { type: 'flatten' }, { type: 'dense', units: 1 }];

describe('RUL ensemble graph and asymmetric loss', () => {
  it('asymmetric MSE weighs late errors lateWeight times, in the loss and its gradient', () => {
    const grad = new Float32Array(2);
    const loss = asymmetricMse(3).compute(Float32Array.of(2, -1), Float32Array.of(0, 0), grad);
    expect(loss).toBeCloseTo((3 * 4 + 1) / 2, 6);
    expect(Array.from(grad)).toEqual([6, -1]);
  });

  it('--huber gives a Huber loss with its delta in cycles (targets are RUL / cap), refused beside --late-weight', () => {
    const loss = rulLoss({ ...RUL_DEFAULTS, huber: 12.5, cap: 125 });
    expect(loss.name).toBe('huber(0.1)');
    const grad = new Float32Array(2);
    // 0.05 is inside the delta of 0.1 (quadratic), 0.5 beyond it (linear).
    expect(loss.compute(Float32Array.of(0.05, 0.5), Float32Array.of(0, 0), grad)).toBeCloseTo((0.5 * 0.0025 + 0.1 * (0.5 - 0.05)) / 2, 6);
    expect(grad[1]).toBeCloseTo(0.1 / 2, 6);
    expect(rulLoss(RUL_DEFAULTS).name).toBe('huber(0.04)');
    expect(rulLoss({ ...RUL_DEFAULTS, huber: 0 }).name).toBe('mse');
    expect(rulLoss({ ...RUL_DEFAULTS, huber: 0, lateWeight: 2 }).name).toBe('asymmetric-mse(2)');
    expect(() => rulLoss({ ...RUL_DEFAULTS, huber: 10, lateWeight: 2 })).toThrow(/--huber.*--late-weight/s);
  });

  it('--noise and --bottleneck shape the small network (the defaults: the 2,699-parameter 1.1.0 CNN, noise 0.08 in min-max units, 5 CNNs beside 5 GRUs of 32 units since 1.4.0)', () => {
    const specs = rulArchitecture('student');
    expect(specs[0]).toEqual({ type: 'gaussian-noise', std: 0.08 });
    expect(RUL_DEFAULTS).toMatchObject({ members: 5, gruMembers: 5, gruUnits: 32, scale: 'minmax', huber: 5, window: 50 });
    expect(rulMember({ ...RUL_DEFAULTS }, 0).paramCount()).toBe(2699);
    const wide = rulMember({ ...RUL_DEFAULTS, bottleneck: 4, noise: 0.5 }, 0);
    expect(wide.specs[0]).toEqual({ type: 'gaussian-noise', std: 0.5 });
    expect(wide.specs.filter((s) => s.type === 'conv1d').map((s) => (s as { filters: number }).filters)).toEqual([8, 4]);
    expect(wide.paramCount()).toBe(4349);
  });

  it('averages the members (CNNs, then GRUs) inside one ONNX graph, subtracts the offset and clips, as the TS prediction does', async () => {
    const opts = { ...RUL_DEFAULTS, window: 20, arch: TINY, members: 2, gruMembers: 1, gruUnits: 4 };
    const members = [rulMember(opts, 0), rulMember(opts, 1), rulMember(opts, 2)];
    expect(members[1]!.params()[0]!.name).toBe('m1_l0_conv1d_W');
    expect(members[2]!.specs.map((s) => s.type)).toEqual(['gaussian-noise', 'gru', 'dense', 'activation', 'dense']);
    expect(members[2]!.params()[0]!.name).toBe('m2_l1_gru_W');
    const rng = new Rng(7);
    const engines: Engine[] = [5, 20, 33].map((cycles, unit) => ({ unit, cycles, sensors: Float32Array.from({ length: cycles * 14 }, () => rng.uniform(-2, 2)) }));
    const norm = { mean: CMAPSS_SENSORS.map(() => 0), std: CMAPSS_SENSORS.map(() => 0.02) };
    const ts = predictLast(members, engines, norm, 20, 125, 4);
    const ort = await OrtModel.load(rulToOnnx(members, 125, { offset: 4 }));
    try {
      const out = Array.from(await ort.run(lastWindows(engines, 20, norm), [20, 14]));
      // Within 0.005 cycles: onnxruntime's GRU sums in another order than ours (float32, inputs of +-100 here).
      out.forEach((v, i) => expect(v).toBeCloseTo(ts[i]!, 2));
      // The mean of the members, not one of them; and the clip holds.
      const single = predictLast(members[0]!, engines, norm, 20, 125, 4);
      expect(single.some((v, i) => Math.abs(v - ts[i]!) > 1e-3)).toBe(true);
      for (const v of out) expect(v >= 0 && v <= 125).toBe(true);
    } finally {
      await ort.release();
    }
    // A member exported alone loads back with its prefixed names (pruning starts from it).
    const back = Sequential.fromOnnx(members[2]!.toOnnx());
    expect(back.params()[0]!.value).toEqual(members[2]!.params()[0]!.value);
  });

  it('--kernel and --filters set the first convolution of the small network; a cross-validation key names them only when they are not 9 and 8, and a key without them reads as 9 and 8', async () => {
    const k5 = rulMember({ ...RUL_DEFAULTS, kernel: 5 }, 0);
    expect(k5.specs.filter((s) => s.type === 'conv1d').map((s) => (s as { kernel: number }).kernel)).toEqual([5, 3]);
    // 2,699 - 8 filters x 4 cycles x 14 sensors
    expect(k5.paramCount()).toBe(2699 - 8 * 4 * 14);
    const f16 = rulMember({ ...RUL_DEFAULTS, filters: 16 }, 0);
    expect(f16.specs.filter((s) => s.type === 'conv1d').map((s) => (s as { filters: number }).filters)).toEqual([16, 2]);
    // + 8 filters of 9 cycles x 14 sensors and their biases, + the second convolution's 2 x 3 x 8 more inputs
    expect(f16.paramCount()).toBe(2699 + 8 * (9 * 14 + 1) + 2 * 3 * 8);
    expect(cvOptionsKey({ ...RUL_DEFAULTS, kernel: 5 }).kernel).toBe(5);
    expect(cvOptionsKey({ ...RUL_DEFAULTS, filters: 16 }).filters).toBe(16);
    expect('filters' in cvOptionsKey(RUL_DEFAULTS)).toBe(false);
    expect('kernel' in cvOptionsKey({ ...RUL_DEFAULTS, kernel: 9 })).toBe(false);
    const fold = { fold: 0, trainEngines: 1, valEngines: 1, valUnits: [1], cases: 1, rmse: 0, scorePer100: 0, minutes: 0, raw: [100], truth: [90] };
    const saved = (options: CvFigures['options']): CvFigures => ({ foldsPlanned: 1, folds: [fold], rmse: { mean: 0, std: 0 }, scorePer100: { mean: 0, std: 0 }, pooledRmse: 0, pooledScorePer100: 0, offsets: [], options });
    const old = cvOptionsKey({ ...RUL_DEFAULTS, kernel: 9 });
    expect(cvAtOffset(saved(old), 0, 125).options).toEqual(old);
    expect(cvAtOffset(saved({ ...old, kernel: 5 }), 0, 125).options.kernel).toBe(5);
    expect(cvAtOffset(saved({ ...old, filters: 16 }), 0, 125).options.filters).toBe(16);
    expect(cvAtOffset(saved(old), 0, 125).pooledRmse).toBeCloseTo(10, 9);
    // Whatever the defaults become, a key without them still means 9 and 8.
    const was = { kernel: RUL_DEFAULTS.kernel, filters: RUL_DEFAULTS.filters };
    Object.assign(RUL_DEFAULTS, { kernel: 5, filters: 16 });
    try {
      // (a key read as today's 5 and 16 would come back naming them)
      expect(cvAtOffset(saved(old), 0, 125).options).toEqual(old);
    } finally {
      Object.assign(RUL_DEFAULTS, was);
    }
    await expect(buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--data', 'x', '--kernel', '0'])).rejects.toThrow('--kernel: expected a whole number of cycles >= 1, got 0');
    await expect(buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--data', 'x', '--kernel', '5', '--size', 'teacher'])).rejects.toThrow('--kernel: applies to the small network');
    await expect(buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--data', 'x', '--filters', '0'])).rejects.toThrow('--filters: expected a whole number >= 1, got 0');
    await expect(buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--data', 'x', '--filters', '16', '--size', 'teacher'])).rejects.toThrow('--filters: applies to the small network');
  });

  it('--stretch adds each training engine replayed slower or faster to the training windows (scaling fitted on the recorded engines), is named in the cross-validation key, and refuses factors outside [0.5, 2] or of 1', async () => {
    const rng = new Rng(3);
    const train: Engine[] = [60, 80].map((cycles, unit) => ({ unit, cycles, sensors: Float32Array.from({ length: cycles * 14 }, () => rng.uniform(0, 1)) }));
    const split = { train, heldOut: [], stop: { engines: [], rul: [] }, report: { engines: [], rul: [] } };
    const opts = { window: 30, cap: 125, padFrom: 31, scale: 'minmax' as const };
    const plain = rulDataset(split, opts);
    const stretched = rulDataset(split, { ...opts, stretch: [0.8, 1.5] });
    // Windows end at cycles 30.. of each engine: 31 + 51 recorded, then the stretched runs of 48 and 64 cycles (x 0.8), 90 and 120 (x 1.5).
    expect(plain.data.n).toBe(31 + 51);
    expect(stretched.data.n).toBe(31 + 51 + (48 - 29) + (64 - 29) + (90 - 29) + (120 - 29));
    expect(stretched.norm).toEqual(plain.norm);
    // The recorded engines' windows come first, unchanged; the stretched run of engine 0 by 0.8 ends at RUL 0 too.
    expect(Array.from(stretched.data.y.subarray(0, plain.data.n))).toEqual(Array.from(plain.data.y));
    expect(stretched.data.y[plain.data.n + 18]).toBe(0);
    expect(stretched.data.y[plain.data.n + 17]).toBeCloseTo(1 / 125, 6);
    expect(cvOptionsKey({ ...RUL_DEFAULTS, stretch: [0.8, 1.5] }).stretch).toEqual([0.8, 1.5]);
    expect('stretch' in cvOptionsKey(RUL_DEFAULTS)).toBe(false);
    for (const bad of ['1', '0.4', '0.9,2.5', '1.2,x', '']) {
      await expect(buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--data', 'x', '--stretch', bad])).rejects.toThrow(`--stretch: expected factors in [0.5, 2] other than 1 separated by commas, got ${JSON.stringify(bad)}`);
    }
  });

  it('train rul needs --data for every mode but --cv-combine, and refuses a --windows list that is not whole numbers, an ensemble of no network and a GRU of no units', async () => {
    const rul = (...args: string[]): Promise<unknown> => buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--data', 'x', ...args]);
    await expect(rul('--members', '0', '--gru-members', '0')).rejects.toThrow('--members: the ensemble has no network: give --members or --gru-members at least 1');
    await expect(rul('--gru-members', '-1')).rejects.toThrow('--gru-members: expected a whole number >= 0, got -1');
    await expect(rul('--gru-members', '1', '--gru-units', '0')).rejects.toThrow('--gru-units: expected a whole number >= 1, got 0');
    await expect(buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--cv-only'])).rejects.toThrow('--data: required: the data folder, e.g. --data ../shared/data/cmapss');
    await expect(buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'anomaly'])).rejects.toThrow('--data: required');
    await expect(buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--data', 'x', '--windows', '50,6o'])).rejects.toThrow('--windows: expected whole numbers of cycles separated by commas, got "50,6o"');
  });

  it('members of different windows share the longest window as input, each sliced to its last cycles in the graph', async () => {
    const opts = { ...RUL_DEFAULTS, window: 24, memberWindows: [16, 20, 24], members: 3, gruMembers: 0, arch: TINY };
    const members = [0, 1, 2].map((k) => rulMember(opts, k));
    expect(members.map((m) => m.specs[0])).toEqual([{ type: 'last-steps', steps: 16 }, { type: 'last-steps', steps: 20 }, TINY[0]]);
    // No random draws in front: member 0 starts from the weights of a 16-cycle network of its seed.
    expect(members[0]!.params().map((p) => Array.from(p.value))).toEqual(rulMember({ ...opts, window: 16, memberWindows: [] }, 0).params().map((p) => Array.from(p.value)));
    const rng = new Rng(9);
    const engines: Engine[] = [7, 18, 40].map((cycles, unit) => ({ unit, cycles, sensors: Float32Array.from({ length: cycles * 14 }, () => rng.uniform(-2, 2)) }));
    const norm = { mean: CMAPSS_SENSORS.map(() => 0), std: CMAPSS_SENSORS.map(() => 0.02) };
    const ts = predictLast(members, engines, norm, 24, 125);
    // Member 0 on 24-cycle windows predicts what it predicts on the last 16 cycles alone.
    const alone = new Sequential(TINY, [16, 14], { seed: 42, namePrefix: 'm0_' });
    alone.params().forEach((p, i) => p.value.set(members[0]!.params()[i]!.value));
    expect(predictLast(members[0]!, engines, norm, 24, 125)).toEqual(predictLast(alone, engines, norm, 16, 125));
    const bytes = rulToOnnx(members, 125);
    expect(readOnnxModel(bytes).nodes.filter((n) => n.opType === 'Slice')).toHaveLength(2);
    const ort = await OrtModel.load(bytes);
    try {
      const out = Array.from(await ort.run(lastWindows(engines, 24, norm), [24, 14]));
      out.forEach((v, i) => expect(v).toBeCloseTo(ts[i]!, 3));
    } finally {
      await ort.release();
    }
  });
});

describeWithData('cmapss', 'RUL cross-validation over engines (tiny model)', (dataDir) => {
  const all = readCmapss(join(dataDir, 'train_FD001.txt'));
  const opts = { ...RUL_DEFAULTS, window: 30, arch: TINY, epochs: 1, maxEngines: 8, holdout: 20, truncations: 2, batchSize: 64, members: 2, gruMembers: 0 };

  it('holds out each fold once, never touches the final held-out engines, and pools the same figures it reports', async () => {
    const seen: number[] = [];
    const cv = await crossValidateRul(all, opts, 4, () => undefined, (soFar) => seen.push(soFar.folds.length));
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(cv.foldsPlanned).toBe(4);
    const final = new Set(splitEngines(all, opts).heldOut.map((e) => e.unit));
    const units = cv.folds.flatMap((f) => f.valUnits);
    expect(new Set(units).size).toBe(8);
    expect(units.some((u) => final.has(u))).toBe(false);
    for (const f of cv.folds) {
      expect(f).toMatchObject({ trainEngines: 6, valEngines: 2, cases: 4 });
      expect(f.firstMember).toBeDefined();
      const pred = f.raw.map((v) => clipRul(v - opts.offset, 125));
      expect(f.rmse).toBeCloseTo(rmse(pred, f.truth), 6);
      expect(f.scorePer100).toBeCloseTo((phm08Score(pred, f.truth) * 100) / 4, 6);
    }
    const zero = cv.offsets.find((o) => o.offset === opts.offset)!;
    expect(zero.rmse).toBeCloseTo(cv.pooledRmse, 6);
    expect(zero.scorePer100).toBeCloseTo(cv.pooledScorePer100, 6);
    expect(cv.rmse.mean).toBeCloseTo(cv.folds.reduce((a, f) => a + f.rmse, 0) / 4, 9);
    // Against the truth capped at 125 (for comparison with work that caps test labels): recomputed by hand.
    const raw = cv.folds.flatMap((f) => f.raw.map((v) => clipRul(v - opts.offset, 125)));
    const capped = cv.folds.flatMap((f) => f.truth.map((t) => Math.min(t, 125)));
    expect(cv.cappedTruth).toEqual({ cap: 125, rmse: expect.closeTo(rmse(raw, capped), 9), scorePer100: expect.closeTo((phm08Score(raw, capped) * 100) / raw.length, 9) });
    expect(cv.options).toEqual(cvOptionsKey(opts));
    // Read at another offset from the saved predictions: the same as the sweep, fold by fold.
    const shifted = cvAtOffset(cv, 6, 125);
    expect(shifted.pooledRmse).toBeCloseTo(cv.offsets.find((o) => o.offset === 6)!.rmse, 9);
    expect(shifted.folds[1]!.rmse).toBeCloseTo(rmse(cv.folds[1]!.raw.map((v) => clipRul(v - 6, 125)), cv.folds[1]!.truth), 9);
  });

  it('another --seed keeps the split (held-out engines, folds, truncations) and changes only the networks', async () => {
    const one = { ...opts, members: 1 };
    const seed43 = { ...one, seed: 43 };
    const held42 = splitEngines(all, one);
    const held43 = splitEngines(all, seed43);
    expect(held43.heldOut.map((e) => e.unit)).toEqual(held42.heldOut.map((e) => e.unit));
    expect(held43.report.rul).toEqual(held42.report.rul);
    const other = splitEngines(all, { ...one, splitSeed: 43 }).heldOut.map((e) => e.unit);
    expect(other).not.toEqual(held42.heldOut.map((e) => e.unit));
    const cv42 = await crossValidateRul(all, one, 4);
    const cv43 = await crossValidateRul(all, seed43, 4);
    expect(cv43.folds.map((f) => f.valUnits)).toEqual(cv42.folds.map((f) => f.valUnits));
    expect(cv43.folds.map((f) => f.truth)).toEqual(cv42.folds.map((f) => f.truth));
    expect(cv43.folds[0]!.raw).not.toEqual(cv42.folds[0]!.raw);
    // The key names the split only when it is not the shipped one, so older figures still match.
    expect(cvOptionsKey(one)).not.toHaveProperty('splitSeed');
    expect(cvOptionsKey({ ...one, splitSeed: 43 })).toMatchObject({ splitSeed: 43 });
  });

  it('an ensemble of n members cross-validates as the mean of the single-network runs with seeds seed..seed+n-1 (--cv-combine)', async () => {
    // With input noise, whose draws follow the seed too.
    // z-score runs, as the saved figures before 1.3.0 are: the combination must not take today's default scaling.
    const noisy = { ...opts, scale: 'zscore' as const, arch: [{ type: 'gaussian-noise', std: 0.3 } as const, ...TINY] };
    const one = { ...noisy, members: 1 };
    const ens = await crossValidateRul(all, noisy, 4);
    const a = await crossValidateRul(all, one, 4);
    const b = await crossValidateRul(all, { ...one, seed: 43 }, 4);
    const combined = combineSeedRuns([b, a]);
    expect(combined.options).toEqual(ens.options);
    expect(combined.options).not.toHaveProperty('scale');
    combined.folds.forEach((f, k) => {
      f.raw.forEach((v, i) => expect(v).toBeCloseTo(ens.folds[k]!.raw[i]!, 9));
      expect(f.rmse).toBeCloseTo(ens.folds[k]!.rmse, 9);
      expect(f.firstMember!.rmse).toBeCloseTo(ens.folds[k]!.firstMember!.rmse, 9);
    });
    expect(combined.pooledRmse).toBeCloseTo(ens.pooledRmse, 9);
    expect(() => combineSeedRuns([a])).toThrow('--cv-combine: expected at least 2');
    expect(() => combineSeedRuns([a, { ...b, options: { ...b.options, seed: 44 } }])).toThrow("each family's seeds must run on from 42 (member k has seed + k), got CNN seeds 42, 44");
    expect(() => combineSeedRuns([a, { ...b, options: { ...b.options, huber: 0 } }])).toThrow('run with seed 43 was made with other options');
    expect(() => combineSeedRuns([a, ens])).toThrow('run with seed 42 has 2 networks');
  });

  it('a mixed-window ensemble (--windows) cross-validates as the mean of single runs of each window with seeds seed..seed+n-1', async () => {
    const noisy = { ...opts, arch: [{ type: 'gaussian-noise', std: 0.3 } as const, ...TINY] };
    const one = { ...noisy, members: 1 };
    const ens = await crossValidateRul(all, { ...noisy, window: 36, memberWindows: [32, 36] }, 4);
    expect(ens.options).toMatchObject({ window: 36, members: 2, memberWindows: [32, 36] });
    const a = await crossValidateRul(all, { ...one, window: 32 }, 4);
    const b = await crossValidateRul(all, { ...one, window: 36, seed: 43 }, 4);
    const combined = combineSeedRuns([b, a]);
    expect(combined.options).toEqual(ens.options);
    combined.folds.forEach((f, k) => f.raw.forEach((v, i) => expect(v).toBeCloseTo(ens.folds[k]!.raw[i]!, 9)));
    // The CLI does the same from the saved files, without --data (it reads no engine).
    const dir = mkdtempSync(join(tmpdir(), 'pdm-rul-mixed-'));
    try {
      const [fa, fb, out] = ['a.json', 'b.json', 'mixed.json'].map((f) => join(dir, f)) as [string, string, string];
      writeFileSync(fa, JSON.stringify(a));
      writeFileSync(fb, JSON.stringify(b));
      expect(await cliOutput('train', 'rul', '--cv-combine', fa, fb, '--cv-out', out)).toMatch(/^2 CNNs \(seeds 42-43\) \(its CNNs read the last 32, 36 cycles of the window\): /);
      expect((JSON.parse(readFileSync(out, 'utf8')) as CvFigures).options).toEqual(ens.options);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Member 0 reads the last 32 of 36 cycles; alone it is the 32-cycle run.
    ens.folds.forEach((f, k) => expect(f.firstMember!.rmse).toBeCloseTo(a.folds[k]!.rmse, 9));
    expect(() => combineSeedRuns([{ ...a, options: { ...a.options, window: 30, seed: 41 } }, a])).toThrow('run with seed 41 reads 30 cycles, fewer than --pad-from (31)');
    expect(() => combineSeedRuns([a, { ...ens, options: { ...ens.options, seed: 43, members: 1 } }])).toThrow('is itself a mixed-window ensemble');
    await expect(crossValidateRul(all, { ...noisy, window: 40, memberWindows: [32, 36] }, 1)).rejects.toThrow('--windows: the graph reads the longest window (36), but --window is 40');
    await expect(crossValidateRul(all, { ...noisy, window: 36, memberWindows: [36] }, 1)).rejects.toThrow('--windows: 1 windows for 2 members');
    await expect(crossValidateRul(all, { ...noisy, window: 36, memberWindows: [20, 36] }, 1)).rejects.toThrow('--windows: each window must be a whole number of cycles >= --pad-from (31), got 20, 36');
    expect(cvOptionsKey(opts)).not.toHaveProperty('memberWindows');
  });

  it('GRU members (--gru-members) follow the CNNs, seeded from --seed like them: the ensemble cross-validates as the mean of single CNN and GRU runs', async () => {
    const noisy = { ...opts, arch: [{ type: 'gaussian-noise', std: 0.3 } as const, ...TINY], gruUnits: 3 };
    const ens = await crossValidateRul(all, { ...noisy, members: 1, gruMembers: 2 }, 4);
    expect(ens.options).toMatchObject({ members: 1, gruMembers: 2, gruUnits: 3 });
    expect(cvOptionsKey(opts)).not.toHaveProperty('gruMembers');
    const cnn = await crossValidateRul(all, { ...noisy, members: 1 }, 4);
    const g42 = await crossValidateRul(all, { ...noisy, members: 0, gruMembers: 1 }, 4);
    const g43 = await crossValidateRul(all, { ...noisy, members: 0, gruMembers: 1, seed: 43 }, 4);
    // The GRU is another network: its predictions are not the CNN's.
    expect(g42.folds[0]!.raw.some((v, i) => Math.abs(v - cnn.folds[0]!.raw[i]!) > 1e-3)).toBe(true);
    const combined = combineSeedRuns([g43, cnn, g42]);
    expect(combined.options).toEqual(ens.options);
    combined.folds.forEach((f, k) => {
      f.raw.forEach((v, i) => expect(v).toBeCloseTo(ens.folds[k]!.raw[i]!, 9));
      expect(f.firstMember!.rmse).toBeCloseTo(cnn.folds[k]!.rmse, 9);
    });
    expect(() => combineSeedRuns([cnn, g43])).toThrow("each family's seeds must run on from 42 (member k has seed + k), got GRU seeds 43");
    expect(() => combineSeedRuns([cnn, g42, { ...g43, options: { ...g43.options, gruUnits: 4 } }])).toThrow('the GRU runs have different units: 3, 4');
    expect(() => combineSeedRuns([{ ...cnn, options: { ...cnn.options, window: 40 } }, g42])).toThrow("GRU run with seed 42 reads 30 cycles; a GRU reads the ensemble's whole window (40)");
    // The CLI names both families.
    const dir = mkdtempSync(join(tmpdir(), 'pdm-rul-gru-'));
    try {
      const files = [cnn, g42, g43].map((r, k) => {
        const f = join(dir, `${k}.json`);
        writeFileSync(f, JSON.stringify(r));
        return f;
      });
      expect(await cliOutput('train', 'rul', '--cv-combine', ...files, '--cv-out', join(dir, 'out.json'))).toMatch(/^1 CNN \(seed 42\) and 2 GRUs of 3 units \(seeds 42-43\): /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GRUs over a longer window than the CNNs (--gru-window, the 1.5.0 recipe): the ensemble reads the GRUs\' window, each CNN its own last cycles, and equals the single runs combined', async () => {
    const noisy = { ...opts, arch: [{ type: 'gaussian-noise', std: 0.3 } as const, ...TINY], gruUnits: 3 };
    const shipped = withGruWindow({ ...noisy, window: 32, members: 2, gruMembers: 1 }, 36);
    expect(shipped).toMatchObject({ window: 36, memberWindows: [32, 32], members: 2, gruMembers: 1 });
    const ens = await crossValidateRul(all, shipped, 4);
    const c42 = await crossValidateRul(all, { ...noisy, window: 32, members: 1 }, 4);
    const c43 = await crossValidateRul(all, { ...noisy, window: 32, members: 1, seed: 43 }, 4);
    const g42 = await crossValidateRul(all, { ...noisy, window: 36, members: 0, gruMembers: 1 }, 4);
    const combined = combineSeedRuns([g42, c43, c42]);
    expect(combined.options).toEqual(ens.options);
    combined.folds.forEach((f, k) => f.raw.forEach((v, i) => expect(v).toBeCloseTo(ens.folds[k]!.raw[i]!, 9)));
    // Without GRUs the CNNs' longest window must still be the graph's.
    await expect(crossValidateRul(all, { ...shipped, gruMembers: 0 }, 1)).rejects.toThrow('--windows: the graph reads the longest window (32), but --window is 36');
    // Unchanged without GRUs, or when the GRU window is not longer.
    expect(withGruWindow({ ...noisy, window: 32, gruMembers: 0 }, 36)).toMatchObject({ window: 32, memberWindows: [] });
    expect(withGruWindow({ ...noisy, window: 40, gruMembers: 1 }, 36)).toMatchObject({ window: 40, memberWindows: [] });
    expect(withGruWindow({ ...noisy, window: 32, members: 0, gruMembers: 2 }, 36)).toMatchObject({ window: 36, memberWindows: [] });
    expect(memberWindowsNote({ ...shipped, gruMembers: 1 })).toBe(' (its CNNs read the last 32 of the 36 cycles, its GRUs all of them)');
    // The CLI's defaults are the recipe (GRUs over 80 cycles, CNNs over the last 50): the key of a run names it; --gru-window 0 keeps one window.
    const dir = mkdtempSync(join(tmpdir(), 'pdm-rul-gruwin-'));
    try {
      const key = (...args: string[]): Promise<string> => cliOutput('train', 'rul', '--data', 'x', '--cv-from', join(dir, 'none.json'), ...args).catch((e: Error) => e.message);
      writeFileSync(join(dir, 'none.json'), JSON.stringify({ options: {} }));
      expect(await key()).toContain('"window":80,');
      expect(await key()).toContain('"memberWindows":[50,50,50,50,50]');
      expect(await key('--gru-window', '0')).toMatch(/this run uses \{"window":50,(?!.*memberWindows)/);
      expect(await key('--gru-window', '96', '--window', '40', '--members', '2')).toContain('"window":96,');
      expect(await key('--gru-window', '96', '--window', '40', '--members', '2')).toContain('"memberWindows":[40,40]');
      expect(await key('--gru-members', '0')).toMatch(/this run uses \{"window":50,(?!.*memberWindows)/);
      expect(await key('--gru-window', '-1')).toBe('--gru-window: expected a whole number of cycles (0: the GRUs read --window), got -1');
      // A version the manifest would refuse is refused before any data is read (here "x", which does not exist).
      expect(await key('--model-version', '1.6')).toBe('--model-version: expected semver like 1.2.0, got "1.6"');
      expect(await cliOutput('train', 'anomaly', '--data', 'x', '--model-version', 'v2').catch((e: Error) => e.message)).toBe('--model-version: expected semver like 1.2.0, got "v2"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--scale minmax (the default since 1.3.0) scales each sensor to [-1, 1] over the training engines and keys the figures by it', () => {
    const split = splitEngines(all, { ...opts, maxEngines: 3 });
    const { data, norm } = rulDataset(split, { ...opts, scale: 'minmax', padFrom: 30 });
    expect(rulDataset(split, { ...opts, padFrom: 30 }).norm).toEqual(norm);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of data.x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    expect(lo).toBeCloseTo(-1, 5);
    expect(hi).toBeCloseTo(1, 5);
    expect(norm.mean).not.toEqual(rulDataset(split, { ...opts, scale: 'zscore', padFrom: 30 }).norm.mean);
    expect(cvOptionsKey({ ...opts, scale: 'zscore' })).not.toHaveProperty('scale');
    expect(cvOptionsKey(opts)).toMatchObject({ scale: 'minmax' });
  });

  it('train rul --cv-from refuses figures made with other options, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-rul-cv-'));
    try {
      const file = join(dir, 'cv.json');
      const fake: Partial<CvFigures> = { options: cvOptionsKey({ ...RUL_DEFAULTS, window: 30 }) };
      writeFileSync(file, JSON.stringify(fake));
      await expect(buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--data', dataDir, '--out', join(dir, 'm'), '--cv-from', file])).rejects.toThrow(`${file}: cross-validation figures were made with`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
