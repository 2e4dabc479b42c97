/** @jest-environment ./test/ml/ort-environment.js */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANOMALY_DEFAULTS } from '../../src/ml/anomaly-model';
import { runAnomalyPipeline } from '../../src/ml/anomaly-pipeline';
import { readModelDir } from '../../src/ml/model-files';
import { readOnnxModel } from '../../src/ml/onnx';
import { RUL_DEFAULTS } from '../../src/ml/rul-model';
import { RUL_MODEL_VERSION, runRulPipeline } from '../../src/ml/rul-pipeline';
import { describeWithData } from '../helpers/shared-data';

/** Share of exact zeros over the weight matrices (initializers named *_W) of a float ONNX file. */
function weightZeroShare(onnx: Uint8Array): number {
  let zero = 0;
  let total = 0;
  for (const [name, t] of readOnnxModel(onnx).initializers) {
    if (!name.endsWith('_W') || !(t.data instanceof Float32Array)) continue;
    for (const v of t.data) if (v === 0) zero++;
    total += t.data.length;
  }
  expect(total).toBeGreaterThan(0);
  return zero / total;
}

const ops = (onnx: Uint8Array): string[] => readOnnxModel(onnx).nodes.map((n) => n.opType);

/** The compression steps end to end: prune + fine-tune, int8, distilled student, recalibration, variant files. */
describeWithData('skab', 'anomaly pipeline with compression (tiny data, 1 epoch)', (dataDir) => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pdm-skab-compress-'));
    for (const f of ['anomaly-free/anomaly-free.csv', 'valve1/1.csv', 'valve2/0.csv']) {
      mkdirSync(join(dir, 'data', f.split('/')[0]!), { recursive: true });
      copyFileSync(join(dataDir, f), join(dir, 'data', f));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes pruned (mostly zero at lambda), int8 (MatMulInteger), student (fewer parameters) variants whose figures stay near float32', async () => {
    const out = join(dir, 'model');
    const lambda = 0.5;
    const lines: string[] = [];
    const { manifest, variants } = await runAnomalyPipeline(
      { ...ANOMALY_DEFAULTS, epochs: 1, stride: 5, data: join(dir, 'data'), out, id: 'tiny-anomaly', version: '2.0.0-rc.1', compress: true, pruneLambda: lambda, fineTuneEpochs: 1 },
      (l) => lines.push(l),
    );
    expect(variants.map((v) => v.name)).toEqual(['float32', 'pruned', 'int8', 'student']);
    const [base, pruned, int8, student] = variants as [(typeof variants)[0], (typeof variants)[0], (typeof variants)[0], (typeof variants)[0]];
    const teacher = readModelDir(out).onnx;

    // Pruned: the file itself holds the zeros, over half of the weights at lambda 0.5 (53% seen).
    const p = readModelDir(join(out, 'variants', 'pruned'));
    expect(weightZeroShare(teacher)).toBe(0);
    expect(weightZeroShare(p.onnx)).toBeCloseTo(pruned.sparsity!, 10);
    expect(pruned.sparsity!).toBeGreaterThan(0.5);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^pruned at lambda ${lambda}: sparsity \\d+\\.\\d%; fine-tuning 1 epochs$`)));
    // Recalibrated: its own threshold, not the teacher's.
    expect(p.manifest.thresholds.anomaly).toBe(pruned.threshold);
    expect(pruned.threshold).not.toBe(base.threshold);

    // Int8: integer products on the dense layers, no float MatMul left, a third of the size.
    const q = readModelDir(join(out, 'variants', 'int8'));
    expect(ops(q.onnx)).toEqual(expect.arrayContaining(['DynamicQuantizeLinear', 'MatMulInteger']));
    expect(ops(q.onnx)).not.toContain('MatMul');
    expect(q.onnx.length).toBeLessThan(teacher.length * 0.4);
    expect(q.manifest.thresholds.anomaly).toBe(base.threshold);

    // Student: fewer parameters and bytes than its teacher, recalibrated.
    expect(student.params).toBeLessThan(base.params / 2);
    expect(readModelDir(join(out, 'variants', 'student')).onnx.length).toBeLessThan(teacher.length / 2);

    // Every variant is close to float32 on the labelled files (the level term carries most of the
    // score). Seen: F1 0.7986 float32, 0.7974 pruned (53% zero), 0.7982 int8, 0.7974 student.
    expect(Math.abs(int8.f1 - base.f1)).toBeLessThan(0.005);
    for (const v of [pruned, student]) {
      expect(Math.abs(v.f1 - base.f1)).toBeLessThan(0.02);
      expect(Math.abs(v.far - base.far)).toBeLessThan(0.02);
    }
    // Variant manifests: the parent's input contract, their own figures.
    for (const v of [pruned, int8, student]) {
      const m = readModelDir(join(out, 'variants', v.name)).manifest;
      expect(m.id).toBe(`tiny-anomaly-${v.name}`);
      expect(m.version).toBe('2.0.0-rc.1');
      expect(m.inputs).toEqual(manifest.inputs);
      expect(m.metrics).toEqual({ f1: v.f1, far: v.far, mar: v.mar });
    }
  });
});

describeWithData('cmapss', 'RUL pipeline with compression (tiny data, 2 epochs, an ensemble of 2)', (dataDir) => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pdm-rul-compress-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes pruned, int8 (MatMulInteger + DequantizeLinear for the convolutions) and a one-network student near float32', async () => {
    const out = join(dir, 'model');
    const lambda = 0.3;
    const { variants } = await runRulPipeline(
      { ...RUL_DEFAULTS, window: 30, epochs: 2, maxEngines: 8, holdout: 4, truncations: 2, batchSize: 64, members: 2, gruMembers: 0, data: dataDir, out, id: 'tiny-rul', compress: true, pruneLambda: lambda, fineTuneEpochs: 1 },
      () => undefined,
    );
    expect(variants.map((v) => v.name)).toEqual(['float32', 'pruned', 'int8', 'student']);
    const [base, pruned, int8, student] = variants as [(typeof variants)[0], (typeof variants)[0], (typeof variants)[0], (typeof variants)[0]];
    const teacher = readModelDir(out).onnx;
    // Without a version, the shipped model's (a retrain with other options is a new release only when told so).
    for (const v of ['', 'variants/pruned', 'variants/int8', 'variants/student']) expect(readModelDir(join(out, v)).manifest.version).toBe(RUL_MODEL_VERSION);
    expect(weightZeroShare(readModelDir(join(out, 'variants', 'pruned')).onnx)).toBeCloseTo(pruned.sparsity!, 10);
    expect(pruned.sparsity!).toBeGreaterThan(0.4); // 0.49 seen: about half the weights zero at lambda 0.3
    const q = readModelDir(join(out, 'variants', 'int8')).onnx;
    expect(ops(q)).toEqual(expect.arrayContaining(['MatMulInteger', 'DequantizeLinear', 'Conv']));
    expect(ops(q)).not.toContain('MatMul');
    expect(student.params).toBe(base.params / 2);
    expect(readModelDir(join(out, 'variants', 'student')).onnx.length).toBeLessThan(teacher.length * 0.6);
    expect(Math.abs(int8.valRmse - base.valRmse)).toBeLessThan(0.02 * base.valRmse);
    // Seen: float32 35.24, pruned 35.44, int8 35.32, student 39.26 (8 cases of a 2-epoch model).
    expect(Math.abs(pruned.valRmse - base.valRmse)).toBeLessThan(0.1 * base.valRmse);
    expect(Math.abs(student.valRmse - base.valRmse)).toBeLessThan(0.25 * base.valRmse);
  });
});
