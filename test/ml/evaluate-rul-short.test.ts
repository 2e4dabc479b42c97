/** @jest-environment ./test/ml/ort-environment.js */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CMAPSS_SENSORS, formatCmapss, lastCycles, readCmapss, type Engine } from '../../src/ml/cmapss-data';
import { evaluateRulFiles, evaluateRulHeldOut, heldOutSplitOf, predictRulOnnx, rulInputSpec } from '../../src/ml/evaluate-rul';
import { cappedTruthCaption, phm08Score, rmse } from '../../src/ml/metrics';
import { RUL_DEFAULTS, splitEngines } from '../../src/ml/rul-model';
import { cliOutput } from '../helpers/cli';
import { describeWithData } from '../helpers/shared-data';
import { readModelDir } from '../../src/ml/model-files';
import { fmt } from '../../src/ml/model-card';
import { Rng } from '../../src/ml/rng';

/**
 * The official FD001 test set has engines of 31 cycles, shorter than the shipped model's window:
 * `evaluate rul` must score them (front-padded with their first cycle), not drop or refuse them.
 * Uses the shipped models/cmapss-rul and synthetic engines around its training statistics.
 */
describe('evaluate rul with trajectories shorter than the window (shipped cmapss-rul)', () => {
  const C = CMAPSS_SENSORS.length;
  const { manifest, onnx } = readModelDir('models/cmapss-rul');
  const spec = rulInputSpec(manifest);
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pdm-rul-short-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function engine(unit: number, cycles: number, rng: Rng): Engine {
    const sensors = new Float32Array(cycles * C);
    for (let t = 0; t < cycles; t++) for (let c = 0; c < C; c++) sensors[t * C + c] = spec.mean[c]! + spec.std[c]! * (rng.uniform(-1, 1) + (t / cycles) * 0.5);
    return { unit, cycles, sensors };
  }

  it('scores every engine, counts the padded ones, and pads by repeating the first cycle', async () => {
    expect(spec.window).toBeGreaterThan(31);
    const rng = new Rng(3);
    const short = engine(1, 31, rng);
    const engines = [short, engine(2, spec.window - 1, rng), engine(3, spec.window, rng), engine(4, 120, rng)];
    // The short engine written out already padded to a full window: the same prediction is expected.
    const padded: Engine = { unit: 1, cycles: spec.window, sensors: new Float32Array(spec.window * C) };
    for (let t = 0; t < spec.window; t++) padded.sensors.set(short.sensors.subarray(Math.max(0, t - (spec.window - 31)) * C, (Math.max(0, t - (spec.window - 31)) + 1) * C), t * C);
    const test = join(dir, 'test_FD001.txt');
    const truth = join(dir, 'RUL_FD001.txt');
    const test2 = join(dir, 'padded.txt');
    const truth2 = join(dir, 'padded_truth.txt');
    writeFileSync(test, formatCmapss(engines));
    writeFileSync(truth, '112\n98\n140\n20\n');
    writeFileSync(test2, formatCmapss([padded]));
    writeFileSync(truth2, '112\n');

    const r = await evaluateRulFiles(test, truth, onnx, manifest);
    expect(r.engines).toBe(4);
    expect(r.padded).toBe(2);
    expect(r.predictions).toHaveLength(4);
    for (const p of r.predictions) {
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(125);
    }
    const same = await evaluateRulFiles(test2, truth2, onnx, manifest);
    expect(same.padded).toBe(0);
    expect(r.predictions[0]).toBeCloseTo(same.predictions[0]!, 4);

    const text = await cliOutput('evaluate', 'rul', '--test', test, '--truth', truth, '--model', 'models/cmapss-rul');
    expect(text).toContain(`engines 4 (2 shorter than the window, padded by repeating their first cycle)`);
    expect(text).toMatch(/^RMSE \d+(\.\d+)?$/m);

    // PHM08 by hand from the printed predictions: d = predicted - true, exp(-d/13) - 1 early, exp(d/10) - 1 late.
    const truthValues = [112, 98, 140, 20];
    const byHand = r.predictions.reduce((a, p, i) => {
      const d = p - truthValues[i]!;
      return a + (d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1);
    }, 0);
    const rmseByHand = Math.sqrt(r.predictions.reduce((a, p, i) => a + (p - truthValues[i]!) ** 2, 0) / 4);
    expect(r.score).toBeCloseTo(byHand, 6);
    expect(text).toContain(`PHM08 score ${fmt(byHand)}\n`);
    expect(text).toContain(`RMSE ${fmt(rmseByHand)}\n`);

    // Beside it, the figures against the truth capped at the model's ceiling (140 -> 125): another number.
    const capped = truthValues.map((t) => Math.min(t, 125));
    const cappedRmse = Math.sqrt(r.predictions.reduce((a, p, i) => a + (p - capped[i]!) ** 2, 0) / 4);
    expect(r.cappedTruth?.cap).toBe(125);
    expect(r.cappedTruth?.rmse).toBeCloseTo(cappedRmse, 6);
    expect(Math.abs(cappedRmse - rmseByHand)).toBeGreaterThan(1e-3);
    expect(text).toContain(`${cappedTruthCaption(125)}: RMSE ${fmt(cappedRmse)}, PHM08 score `);

    // The truth file as Windows tools write it: CRLF line ends and trailing blanks.
    const crlf = join(dir, 'RUL_crlf.txt');
    writeFileSync(crlf, '112  \r\n98 \r\n140\t\r\n20  \r\n');
    const json = JSON.parse(await cliOutput('evaluate', 'rul', '--test', test, '--truth', crlf, '--model', 'models/cmapss-rul', '--json')) as { engines: number; rmse: number; score: number; padded: number };
    expect(json.engines).toBe(4);
    expect(json.padded).toBe(2);
    expect(json.score).toBeCloseTo(byHand, 6);
    expect((json as { cappedTruth?: { rmse: number } }).cappedTruth?.rmse).toBeCloseTo(cappedRmse, 6);
    expect(json.rmse).toBeCloseTo(rmseByHand, 6);
  });

  it("the held-out split comes from the manifest's metrics (engines, cases = engines x truncations), else the defaults", () => {
    expect(heldOutSplitOf(manifest)).toEqual({ holdout: 20, truncations: 10, splitSeed: 42 });
    expect(heldOutSplitOf({ ...manifest, metrics: { valEngines: 4, valCases: 12 } })).toEqual({ holdout: 4, truncations: 3, splitSeed: 42 });
    expect(heldOutSplitOf({ ...manifest, metrics: {} })).toEqual({ holdout: RUL_DEFAULTS.holdout, truncations: RUL_DEFAULTS.truncations, splitSeed: 42 });
    // cases that are no multiple of the engines are not a split this project writes: the defaults
    expect(heldOutSplitOf({ ...manifest, metrics: { valEngines: 4, valCases: 10 } }).holdout).toBe(RUL_DEFAULTS.holdout);
  });

  it("lastCycles keeps an engine's last n cycles (all of a shorter one); --history refuses 0 before reading any data", async () => {
    const e = engine(7, 40, new Rng(5));
    const last = lastCycles(e, 31);
    expect(last).toMatchObject({ unit: 7, cycles: 31 });
    expect(Array.from(last.sensors)).toEqual(Array.from(e.sensors.subarray(9 * C)));
    expect(lastCycles(e, 50).cycles).toBe(40);
    expect(Array.from(lastCycles(e, 50).sensors)).toEqual(Array.from(e.sensors));
    await expect(evaluateRulHeldOut(join(dir, 'no-such-dir'), onnx, manifest, undefined, { history: 0 })).rejects.toThrow('--history: expected a whole number of cycles >= 1, got 0');
    await expect(evaluateRulHeldOut(join(dir, 'no-such-dir'), onnx, manifest, undefined, { history: 2.5 })).rejects.toThrow('got 2.5');
  });

  it('phm08Score on fixed numbers: 10 cycles early costs exp(10/13) - 1, 10 late exp(1) - 1', () => {
    expect(phm08Score([10, 30, 20], [20, 20, 20])).toBeCloseTo(Math.exp(10 / 13) - 1 + (Math.E - 1), 12);
    expect(phm08Score([10, 30], [20, 20])).toBeCloseTo(1.158105 + 1.718282, 5);
  });
});

describeWithData('cmapss', 'shipped cmapss-rul on its final held-out engines', (dataDir) => {
  it('reproduces the figures in its manifest (ONNX file, same seeded truncations) within the recorded bounds', async () => {
    const { manifest, onnx } = readModelDir('models/cmapss-rul');
    const split = splitEngines(readCmapss(join(dataDir, 'train_FD001.txt')), RUL_DEFAULTS);
    const pred = await predictRulOnnx(onnx, manifest, split.report.engines);
    expect(pred).toHaveLength(200);
    expect(rmse(pred, split.report.rul)).toBeCloseTo(manifest.metrics.valRmse!, 3);
    // 1.1.0 measured 15.15 / 331 per 100 cases; a retrain that drifts past these margins needs a look.
    expect(rmse(pred, split.report.rul)).toBeLessThan(17);
    expect((phm08Score(pred, split.report.rul) * 100) / pred.length).toBeLessThan(420);

    // `evaluate rul-held-out` gives the same figures from the shipped file, and beside them the
    // figures against the truth capped at 125 (some truncations are cut above it: another number).
    const json = JSON.parse(await cliOutput('evaluate', 'rul-held-out', '--data', dataDir, '--json')) as { model: string; engines: number; rmse: number; score: number; cappedTruth: { cap: number; rmse: number; score: number } };
    const capped = split.report.rul.map((t) => Math.min(t, 125));
    expect(split.report.rul.some((t) => t > 125)).toBe(true);
    expect(json).toMatchObject({ model: 'cmapss-rul', engines: 200, cappedTruth: { cap: 125 } });
    expect(json.rmse).toBeCloseTo(rmse(pred, split.report.rul), 9);
    expect(json.score).toBeCloseTo(phm08Score(pred, split.report.rul), 6);
    expect(json.cappedTruth.rmse).toBeCloseTo(rmse(pred, capped), 9);
    expect(json.cappedTruth.score).toBeCloseTo(phm08Score(pred, capped), 6);
    expect(json.cappedTruth.rmse).toBeLessThan(json.rmse);
  });

  it('--history n scores each engine from its last n cycles only (the model right after its window restarted)', async () => {
    const { manifest, onnx } = readModelDir('models/cmapss-rul');
    const split = splitEngines(readCmapss(join(dataDir, 'train_FD001.txt')), RUL_DEFAULTS);
    const short = await predictRulOnnx(onnx, manifest, split.report.engines.map((e) => lastCycles(e, 31)));
    const json = JSON.parse(await cliOutput('evaluate', 'rul-held-out', '--data', dataDir, '--history', '31', '--json')) as { engines: number; rmse: number; score: number; padded: number };
    expect(json).toMatchObject({ engines: 200, padded: 200 });
    expect(json.rmse).toBeCloseTo(rmse(short, split.report.rul), 9);
    expect(json.score).toBeCloseTo(phm08Score(short, split.report.rul), 6);
    // 31 cycles of a worn engine front-padded read later than the whole history (1.5.0: 25.5 against 13.8)
    expect(json.rmse).toBeGreaterThan(manifest.metrics.valRmse! + 3);
    // a history as long as the window is the whole window: the manifest's figure
    const full = JSON.parse(await cliOutput('evaluate', 'rul-held-out', '--data', dataDir, '--history', String(rulInputSpec(manifest).window), '--json')) as { rmse: number };
    expect(full.rmse).toBeCloseTo(manifest.metrics.valRmse!, 3);
  });
});
