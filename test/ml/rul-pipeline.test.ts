/** @jest-environment ./test/ml/ort-environment.js */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCmapss, readCmapss, truncateLikeTest } from '../../src/ml/cmapss-data';
import { evaluateRulFiles, predictRulOnnx } from '../../src/ml/evaluate-rul';
import type { LayerSpec } from '../../src/ml/layers';
import { cappedTruthCaption, phm08Score, rmse } from '../../src/ml/metrics';
import { readModelDir } from '../../src/ml/model-files';
import { fmt } from '../../src/ml/model-card';
import { readOnnxModel } from '../../src/ml/onnx';
import { predictLast, RUL_DEFAULTS, splitEngines } from '../../src/ml/rul-model';
import { runRulPipeline } from '../../src/ml/rul-pipeline';
import { Rng } from '../../src/ml/rng';
import { Sequential } from '../../src/ml/sequential';
import { modelManifest } from '../../src/models/manifest';
import { cliOutput } from '../helpers/cli';
import { describeWithData } from '../helpers/shared-data';

const TINY: LayerSpec[] = [{ type: 'conv1d', filters: 3, kernel: 5 }, { type: 'activation', fn: 'leaky-relu', alpha: 0.1 }, { type: 'flatten' }, { type: 'dense', units: 1 }];

describeWithData('cmapss', 'RUL pipeline on real C-MAPSS data (tiny model)', (dataDir) => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pdm-rul-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const opts = { ...RUL_DEFAULTS, window: 30, arch: TINY, epochs: 2, maxEngines: 6, holdout: 4, truncations: 1, batchSize: 64, members: 1, gruMembers: 0, data: dataDir, id: 'tiny-rul', compress: true, pruneLambda: 0.2, fineTuneEpochs: 1 };

  it('trains, writes model.onnx + a valid manifest + a model card, and the official-format evaluation agrees with the TS model', async () => {
    const out = join(dir, 'model');
    const lines: string[] = [];
    // With a time stretch, so that the trained windows and the card show it.
    const { manifest, variants } = await runRulPipeline({ ...opts, stretch: [1.5], out }, (l) => lines.push(l));
    expect(lines.some((l) => /^epoch 2\/2 {2}loss .* val-rmse .* elapsed, ~0:00 left$/.test(l))).toBe(true);
    expect(modelManifest.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')))).toEqual(manifest);
    expect(manifest.inputs[0]).toMatchObject({ layout: 'frames', frames: 30, channels: ['s2', 's3', 's4', 's7', 's8', 's9', 's11', 's12', 's13', 's14', 's15', 's17', 's20', 's21'], normalization: { type: 'zscore' } });
    expect(manifest.outputs).toEqual([{ name: 'rul', meaning: 'rul', units: 'cycles', range: [0, 125] }]);
    expect(readFileSync(join(out, 'MODEL_CARD.md'), 'utf8')).toMatch(/## How to retrain[\s\S]*npm run train:rul/);
    expect(readFileSync(join(out, 'MODEL_CARD.md'), 'utf8')).toContain('The training set also holds each training engine resampled to 1.5 times its length');
    // Windows end at cycles 30.. of the recorded engines and of the same engines 1.5 times as long.
    const trainEngines = splitEngines(readCmapss(join(dataDir, 'train_FD001.txt')), opts).train;
    const windows = (cycles: number): number => cycles - 29;
    expect(manifest.metrics.trainWindows).toBe(trainEngines.reduce((a, e) => a + windows(e.cycles) + windows(Math.round(e.cycles * 1.5)), 0));
    expect(variants.map((v) => v.name)).toEqual(['float32', 'pruned', 'int8', 'student']);
    for (const v of ['pruned', 'int8', 'student']) expect(readModelDir(join(out, 'variants', v)).manifest.id).toBe(`tiny-rul-${v}`);

    // Official-format files made from held-out engines, evaluated through the ONNX file.
    const split = splitEngines(readCmapss(join(dataDir, 'train_FD001.txt')), opts);
    const cut = truncateLikeTest(split.heldOut, new Rng(5));
    cut.engines[0] = { ...cut.engines[0]!, cycles: 12, sensors: cut.engines[0]!.sensors.slice(0, 12 * 14) };
    cut.rul[0] = split.heldOut[0]!.cycles - 12;
    const test = join(dir, 'test_FD001.txt');
    const truth = join(dir, 'RUL_FD001.txt');
    writeFileSync(test, formatCmapss(cut.engines));
    writeFileSync(truth, cut.rul.map((r) => `${r}\n`).join(''));
    const { onnx } = readModelDir(out);
    const r = await evaluateRulFiles(test, truth, onnx, manifest);
    expect(r.engines).toBe(4);
    expect(r.padded).toBe(1);
    const model = Sequential.fromOnnx(onnx);
    const norm = manifest.inputs[0]!.normalization as { mean: number[]; std: number[] };
    const ts = predictLast(model, readCmapss(test), norm, 30, 125, opts.offset);
    ts.forEach((p, i) => expect(r.predictions[i]).toBeCloseTo(p, 3));
    // The held-out figures against capped truth, in the manifest and the card, from the same predictions.
    const held = predictLast(model, split.report.engines, norm, 30, 125, opts.offset);
    const cappedTruth = split.report.rul.map((t) => Math.min(t, 125));
    expect(manifest.metrics.valRmse).toBeCloseTo(rmse(held, split.report.rul), 3);
    expect(manifest.metrics.valRmseCappedTruth).toBeCloseTo(rmse(held, cappedTruth), 3);
    expect(manifest.metrics.valScoreCappedTruthPer100).toBeCloseTo((phm08Score(held, cappedTruth) * 100) / held.length, 1);
    expect(readFileSync(join(out, 'MODEL_CARD.md'), 'utf8')).toContain(`| RMSE / PHM08 per 100 cases ${cappedTruthCaption(125)} | ${fmt(manifest.metrics.valRmseCappedTruth!)} / `);
    expect(r.rmse).toBeCloseTo(rmse(ts, cut.rul), 3);
    expect(r.score).toBeCloseTo(phm08Score(ts, cut.rul), 2);

    // The CLI prints the same figures.
    const json = JSON.parse(await cliOutput('evaluate', 'rul', '--test', test, '--truth', truth, '--model', out, '--json')) as { engines: number; rmse: number; score: number; padded: number };
    expect(json).toMatchObject({ engines: 4, padded: 1 });
    expect(json.rmse).toBeCloseTo(r.rmse, 6);
  });

  it('a CNN + GRU ensemble (--gru-members): the card and manifest name both families, each architecture is listed, every variant is written, and the graph predicts the mean of the two networks', async () => {
    const out = join(dir, 'mixed');
    const { manifest, variants } = await runRulPipeline({ ...opts, gruMembers: 1, gruUnits: 3, out }, () => undefined);
    const card = readFileSync(join(out, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('The graph averages 1 CNN (seed 42) and 1 GRU of 3 units (seed 42).');
    expect(card).toContain('{"type":"gru","units":3}');
    expect(card).toMatch(/K\. Cho et al\./);
    expect(card).toMatch(/\| int8 \|.*; the GRUs stay float32 \(ONNX has no integer GRU\) \|/);
    expect(manifest.description).toContain('1 CNN (seed 42) and 1 GRU of 3 units (seed 42) averaged');
    expect(variants.map((v) => v.name)).toEqual(['float32', 'pruned', 'int8', 'student']);
    const { onnx } = readModelDir(out);
    const layers = JSON.parse(readOnnxModel(onnx).metadata['pdm-gateway.member-layers']!) as LayerSpec[][];
    const members = [0, 1].map((k) => Sequential.fromOnnx(onnx, { namePrefix: `m${k}_`, specs: layers[k]! }));
    expect(members[1]!.specs.map((l) => l.type)).toContain('gru');
    const norm = manifest.inputs[0]!.normalization as { mean: number[]; std: number[] };
    const engines = splitEngines(readCmapss(join(dataDir, 'train_FD001.txt')), opts).report.engines;
    const ts = predictLast(members, engines, norm, 30, 125, opts.offset);
    const ort = await predictRulOnnx(onnx, manifest, engines);
    ort.forEach((p, i) => expect(p).toBeCloseTo(ts[i]!, 2));
    expect(ts.some((p, i) => Math.abs(p - predictLast(members[0]!, engines, norm, 30, 125, opts.offset)[i]!) > 1e-3)).toBe(true);
  });

  it('refuses a truth file whose length does not match the engines, naming it', async () => {
    const test = join(dir, 'short_test.txt');
    const truth = join(dir, 'short_truth.txt');
    const split = splitEngines(readCmapss(join(dataDir, 'train_FD001.txt')), opts);
    writeFileSync(test, formatCmapss(split.heldOut.slice(0, 2)));
    writeFileSync(truth, '10\n');
    const { onnx, manifest } = readModelDir(join(dir, 'model'));
    await expect(evaluateRulFiles(test, truth, onnx, manifest)).rejects.toThrow(`${truth}: 1 RUL values for the 2 engines of ${test}`);
  });
});
