/** @jest-environment ./test/ml/ort-environment.js */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANOMALY_DEFAULTS, centerWindows, pointLabels, scoreWindows } from '../../src/ml/anomaly-model';
import { runAnomalyPipeline } from '../../src/ml/anomaly-pipeline';
import { evaluateAnomalyDir } from '../../src/ml/evaluate-anomaly';
import { readModelDir } from '../../src/ml/model-files';
import { OrtModel } from '../../src/ml/ort-predict';
import { Rng } from '../../src/ml/rng';
import { Sequential } from '../../src/ml/sequential';
import { channelStats, listCsv, parseSkab, SKAB_CHANNELS } from '../../src/ml/skab-data';
import { anomalyToOnnx } from '../../src/ml/anomaly-model';
import { detectionMetrics, confusion } from '../../src/ml/metrics';
import { modelManifest } from '../../src/models/manifest';
import { cliOutput } from '../helpers/cli';
import { describeWithData } from '../helpers/shared-data';

const HEADER = 'datetime;Accelerometer1RMS;Accelerometer2RMS;Current;Pressure;Temperature;Thermocouple;Voltage;Volume Flow RateRMS;anomaly;changepoint';

describe('SKAB data', () => {
  it('maps header names without spaces to the asset channel names and reads 0.0/1.0 labels', () => {
    const f = parseSkab(`${HEADER}\n2020-03-09 10:14:33;1;2;3;4;5;6;7;8;0.0;0.0\n2020-03-09 10:14:34;11;12;13;14;15;16;17;18;1.0;1.0\n`, 'v/0.csv');
    expect(f.rows).toBe(2);
    expect(Array.from(f.values.subarray(8))).toEqual([11, 12, 13, 14, 15, 16, 17, 18]);
    expect(Array.from(f.anomaly!)).toEqual([0, 1]);
    expect(SKAB_CHANNELS[7]).toBe('VolumeFlowRateRMS');
  });

  it('names the file, line and column at fault', () => {
    expect(() => parseSkab(`${HEADER}\nx;1;2;3;4;5;6;7;oops;0.0;0.0\n`, 'v/1.csv')).toThrow('v/1.csv:2: VolumeFlowRateRMS is not a number: "oops"');
    expect(() => parseSkab(`${HEADER}\nx;1;2;3;4;5;6;7;8;0.5;0.0\n`, 'v/2.csv')).toThrow('v/2.csv:2: anomaly label must be 0 or 1, got "0.5"');
    expect(() => parseSkab('datetime;Current\nx;1\n', 'v/3.csv')).toThrow('v/3.csv: column Accelerometer1RMS is missing');
  });

  it('labels point t with the window ending at t, the first window-1 points normal', () => {
    expect(Array.from(pointLabels(6, 3, [0.1, 2, 0.5, 3], 1))).toEqual([0, 0, 0, 1, 0, 1]);
    const m = detectionMetrics(confusion([0, 1, 1, 0], [0, 1, 0, 1]));
    expect(m).toMatchObject({ f1: 0.5, far: 0.5, mar: 0.5 });
  });

  it('the ONNX score graph equals the TS score (window-mean level term + centered reconstruction term)', async () => {
    const model = new Sequential([{ type: 'flatten' }, { type: 'dense', units: 5 }, { type: 'activation', fn: 'tanh' }, { type: 'dense', units: 40 }, { type: 'reshape', shape: [5, 8] }], [5, 8], { seed: 1 });
    const rng = new Rng(2);
    const x = Float32Array.from({ length: 9 * 40 }, () => rng.normal() + 0.5);
    const params = { weights: [1, 2, 0.5, 1, 0.1, 3, 1, 0.4], lambda: 0.7 };
    const expected = scoreWindows(model, x, params);
    const ort = await OrtModel.load(anomalyToOnnx(model, params));
    const got = await ort.run(x, [5, 8]);
    await ort.release();
    expect(got.length).toBe(9);
    got.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-5 * Math.max(1, expected[i]!)));
    const { xc, means } = centerWindows(x, 5);
    expect(Math.abs(xc.subarray(0, 40).reduce((a, v, j) => a + (j % 8 === 0 ? v : 0), 0))).toBeLessThan(1e-5);
    expect(means[0]).toBeCloseTo((x[0]! + x[8]! + x[16]! + x[24]! + x[32]!) / 5, 5);
  });
});

describeWithData('skab', 'anomaly pipeline on real SKAB data (tiny model)', (dataDir) => {
  let dir: string;
  beforeAll(() => {
    // A small copy in SKAB's own layout: the anomaly-free file and two labelled files.
    dir = mkdtempSync(join(tmpdir(), 'pdm-skab-'));
    for (const f of ['anomaly-free/anomaly-free.csv', 'valve1/1.csv', 'valve2/0.csv']) {
      mkdirSync(join(dir, 'data', f.split('/')[0]!), { recursive: true });
      copyFileSync(join(dataDir, f), join(dir, 'data', f));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains on normal data, calibrates a threshold, writes a valid model dir, and evaluate anomaly reproduces its F1', async () => {
    const out = join(dir, 'model');
    const lines: string[] = [];
    const opts = { ...ANOMALY_DEFAULTS, epochs: 1, stride: 5, data: join(dir, 'data'), out, id: 'tiny-anomaly', compress: false, pruneLambda: 0.1, fineTuneEpochs: 1 };
    const { manifest } = await runAnomalyPipeline(opts, (l) => lines.push(l));
    expect(lines[0]).toMatch(/^training teacher autoencoder \(\d+ parameters\) on \d+ normal windows of 30 s/);
    expect(modelManifest.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')))).toEqual(manifest);
    expect(manifest.outputs).toEqual([{ name: 'score', meaning: 'anomaly-score' }]);
    expect(manifest.inputs[0]!.channels).toEqual([...SKAB_CHANNELS]);
    expect(manifest.thresholds.anomaly).toBeGreaterThan(0);
    expect(manifest.metrics.files).toBe(2);
    expect(readFileSync(join(out, 'MODEL_CARD.md'), 'utf8')).toContain('npm run train:anomaly');

    const { onnx } = readModelDir(out);
    const ev = await evaluateAnomalyDir(join(dir, 'data'), onnx, manifest, { calibrationRows: 400 });
    expect(ev.files.map((f) => f.file)).toEqual(['valve1/1.csv', 'valve2/0.csv']);
    expect(ev.skipped).toEqual(['anomaly-free/anomaly-free.csv']);
    expect(ev.total.f1).toBeCloseTo(manifest.metrics.f1!, 10);
    expect(ev.total.tp + ev.total.fp + ev.total.tn + ev.total.fn).toBe(1145 + 1125);
    // A real detector on this data: far better than chance (the anomaly share is about 35%).
    expect(ev.total.f1).toBeGreaterThan(0.6);

    const text = await cliOutput('evaluate', 'anomaly', '--data', join(dir, 'data'), '--model', out);
    expect(text).toContain('valve1/1.csv');
    expect(text).toMatch(new RegExp(`F1 ${ev.total.f1.toFixed(4)}  FAR ${(ev.total.far * 100).toFixed(1)}%  MAR ${(ev.total.mar * 100).toFixed(1)}%`));
  });

  it('lists CSVs recursively in numeric order and standardizes with the calibration rows', () => {
    writeFileSync(join(dir, 'data', 'valve1', '10.csv'), `${HEADER}\nx;1;1;1;1;1;1;1;1;0.0;0.0\n`);
    expect(listCsv(join(dir, 'data')).map((p) => p.slice(join(dir, 'data').length + 1))).toEqual(['anomaly-free/anomaly-free.csv', 'valve1/1.csv', 'valve1/10.csv', 'valve2/0.csv']);
    rmSync(join(dir, 'data', 'valve1', '10.csv'));
    const s = channelStats(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 3, 2, 3, 4, 5, 6, 7, 8]), 0, 2);
    expect(s.mean[0]).toBe(2);
    expect(s.std[0]).toBe(1);
    expect(s.std[1]).toBe(1); // constant channel: std 1, never a division by zero
  });
});
