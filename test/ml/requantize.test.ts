/** @jest-environment ./test/ml/ort-environment.js */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anomalyArchitecture, anomalyToOnnx } from '../../src/ml/anomaly-model';
import { CMAPSS_SENSORS } from '../../src/ml/cmapss-data';
import { framesInput, readModelDir, variantDraft, writeModelDir, type ManifestDraft } from '../../src/ml/model-files';
import { readOnnxModel } from '../../src/ml/onnx';
import { OrtModel } from '../../src/ml/ort-predict';
import { INT8_REDUCED_MAX } from '../../src/ml/quantize';
import { quantizeModelDir, rebuildGraphs, restampVariants } from '../../src/ml/requantize';
import { Rng } from '../../src/ml/rng';
import { RUL_DEFAULTS, rulMember, rulToOnnx } from '../../src/ml/rul-model';
import { Sequential } from '../../src/ml/sequential';
import { SKAB_CHANNELS } from '../../src/ml/skab-data';
import { loadTrustedKeys, verifyManifest } from '../../src/models/signing';
import { cliOutput } from '../helpers/cli';

/** The int8 weights feeding each MatMulInteger, and whether the graph has any float MatMul left. */
function integerWeights(onnx: Uint8Array): Int8Array[] {
  const info = readOnnxModel(onnx);
  return info.nodes.filter((n) => n.opType === 'MatMulInteger').map((n) => info.initializers.get(n.inputs[1]!)!.data as Int8Array);
}

const rulDraft = (id: string): ManifestDraft => ({
  id,
  version: '0.1.0',
  kind: 'rul',
  description: 'tiny',
  inputs: [framesInput(12, CMAPSS_SENSORS, { type: 'zscore', mean: CMAPSS_SENSORS.map(() => 0), std: CMAPSS_SENSORS.map(() => 1) })],
  outputs: [{ name: 'rul', meaning: 'rul', units: 'cycles', range: [0, 125] }],
  thresholds: { rulWarn: 50, rulAlarm: 20 },
  training: { data: 'none', protocol: 'test', date: '2026-01-01', seed: 1 },
  metrics: { valRmse: 1 },
});

describe('quantize: int8 variant of a shipped float model, without retraining', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pdm-quantize-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rebuilds a RUL ensemble from its file (byte for byte), writes variants/int8 with 7-bit dense weights, a valid manifest and close outputs', async () => {
    const opts = { ...RUL_DEFAULTS, window: 12 };
    const members = [rulMember(opts, 0), rulMember(opts, 1)];
    const float = rulToOnnx(members, 125, { offset: 1.5 });
    writeModelDir(dir, float, rulDraft('tiny-rul'));
    const r = await quantizeModelDir(dir, undefined);
    const { manifest, onnx } = readModelDir(join(dir, 'variants', 'int8'));
    expect(manifest).toEqual(r.manifest);
    expect(manifest.id).toBe('tiny-rul-int8');
    expect(manifest.description).toBe('int8 variant of tiny-rul (see ../../MODEL_CARD.md)');
    expect(manifest.inputs).toEqual(readModelDir(dir).manifest.inputs);
    expect(manifest.metrics).toEqual({});
    // The file is exactly what the training pipeline exports for these networks.
    expect(Buffer.from(onnx).equals(Buffer.from(rulToOnnx(members, 125, { int8: true, offset: 1.5 })))).toBe(true);
    const w = integerWeights(onnx);
    expect(w).toHaveLength(4); // two dense layers per member
    for (const q of w) expect(Math.max(...Array.from(q, Math.abs))).toBe(INT8_REDUCED_MAX);
    const rng = new Rng(5);
    const x = Float32Array.from({ length: 16 * 12 * 14 }, () => rng.uniform(-1, 1));
    const [f, q] = await Promise.all([OrtModel.load(float), OrtModel.load(onnx)]);
    const yf = await f.run(x, [12, 14]);
    const yq = await q.run(x, [12, 14]);
    await Promise.all([f.release(), q.release()]);
    yf.forEach((v, i) => expect(Math.abs(yq[i]! - v)).toBeLessThan(2));
  });

  it('rebuilds a CNN + GRU ensemble (members of different layers, listed in the metadata) byte for byte; its GRU stays float', async () => {
    const opts = { ...RUL_DEFAULTS, window: 12, members: 1, gruMembers: 1, gruUnits: 4 };
    const members = [rulMember(opts, 0), rulMember(opts, 1)];
    const float = rulToOnnx(members, 125);
    expect(readOnnxModel(float).metadata['pdm-gateway.member-layers']).toBe(JSON.stringify([members[0]!.specs, members[1]!.specs]));
    writeModelDir(dir, float, rulDraft('tiny-mixed'));
    await quantizeModelDir(dir, undefined);
    const { onnx } = readModelDir(join(dir, 'variants', 'int8'));
    expect(Buffer.from(onnx).equals(Buffer.from(rulToOnnx(members, 125, { int8: true })))).toBe(true);
    expect(integerWeights(onnx)).toHaveLength(4); // two dense layers per member
    expect(readOnnxModel(onnx).nodes.filter((n) => n.opType === 'GRU')).toHaveLength(1);
    // Members of the same layers keep the file as before: no per-member list.
    expect(readOnnxModel(rulToOnnx([rulMember(opts, 0), rulMember({ ...opts, members: 2 }, 1)], 125)).metadata).not.toHaveProperty('pdm-gateway.member-layers');
  });

  it('rebuilds an anomaly score graph (autoencoder + level weights + lambda) and quantizes it', () => {
    const model = new Sequential(anomalyArchitecture(6, 'student'), [6, 8], { seed: 3 });
    const score = { weights: [1, 2, 0.5, 1, 0.1, 3, 1, 0.4], lambda: 0.25 };
    const float = anomalyToOnnx(model, score);
    const draft: ManifestDraft = {
      id: 'tiny-anomaly',
      version: '1.0.0',
      kind: 'anomaly',
      inputs: [framesInput(6, SKAB_CHANNELS, { type: 'baseline', frames: 50, minStd: SKAB_CHANNELS.map(() => 0.01) })],
      outputs: [{ name: 'score', meaning: 'anomaly-score' }],
      thresholds: { anomaly: 0.5 },
      description: '',
      metrics: {},
    };
    const { int8 } = rebuildGraphs(writeModelDir(dir, float, draft), float, 'tiny');
    expect(Buffer.from(int8).equals(Buffer.from(anomalyToOnnx(model, score, { int8: true })))).toBe(true);
    for (const q of integerWeights(int8)) expect(Math.max(...Array.from(q, Math.abs))).toBeLessThanOrEqual(INT8_REDUCED_MAX);
  });

  it('refuses a graph the pipelines did not write, naming the file', () => {
    const plain = new Sequential([{ type: 'flatten' }, { type: 'dense', units: 1 }], [12, 14], { seed: 1 }).toOnnx();
    writeModelDir(dir, plain, rulDraft('plain'));
    const m = readModelDir(dir).manifest;
    expect(() => rebuildGraphs(m, plain, `${dir}/model.onnx`)).toThrow(`${dir}/model.onnx: float initializer cap is missing`);
    const opts = { ...RUL_DEFAULTS, window: 12 };
    const tampered = rulToOnnx([rulMember(opts, 0)], 125, { metadata: { extra: 'x' } });
    expect(() => rebuildGraphs(m, tampered, 'f.onnx')).toThrow('f.onnx: re-exporting the loaded networks does not reproduce the file');
  });

  it('restampVariants rewrites old variant manifests from the parent, keeping their thresholds, metrics and files', async () => {
    const opts = { ...RUL_DEFAULTS, window: 12 };
    writeModelDir(dir, rulToOnnx([rulMember(opts, 0)], 125), rulDraft('tiny-rul'));
    const student = rulToOnnx(rulMember(opts, 3), 125);
    const old = { ...variantDraft(rulDraft('tiny-rul'), 'student', { valRmse: 3 }, { rulWarn: 40 }), inputs: [framesInput(12, CMAPSS_SENSORS, { type: 'none' })] };
    writeModelDir(join(dir, 'variants', 'student'), student, old);
    expect(await cliOutput('quantize', '--model', dir, '--restamp-variants')).toMatch(new RegExp(`^wrote ${dir}/variants/int8: \\d+ bytes \\(float \\d+\\), sha256 [0-9a-f]{64}; no metrics \\(no --data\\)\\nrewrote the manifests of ${dir}/variants/\\{int8,student\\}\\nunsigned: a gateway loads them once signed with a trusted key \\(pdm-gateway sign-model <dir> --key KEY, for ${dir}/variants/int8, ${dir}/variants/student\\)\\n$`));
    const { manifest, onnx } = readModelDir(join(dir, 'variants', 'student'));
    expect(Buffer.from(onnx).equals(Buffer.from(student))).toBe(true);
    expect(manifest.inputs).toEqual(readModelDir(dir).manifest.inputs);
    expect(manifest.thresholds).toEqual({ rulWarn: 40 });
    expect(manifest.metrics).toEqual({ valRmse: 3 });
    expect(restampVariants(dir)).toEqual(['int8', 'student']);
  });
});

describe('shipped models', () => {
  it.each(['cmapss-rul', 'skab-anomaly'])('%s: variants/int8 is the current quantization of model.onnx, and every variant manifest is the one the pipeline writes, signed by a trusted key', (id) => {
    const dir = join('models', id);
    const { manifest, onnx } = readModelDir(dir);
    const { int8 } = rebuildGraphs(manifest, onnx, id);
    expect(Buffer.from(readModelDir(join(dir, 'variants', 'int8')).onnx).equals(Buffer.from(int8))).toBe(true);
    const trusted = loadTrustedKeys([join('models', 'trusted')]).keys;
    for (const name of ['int8', 'pruned', 'student']) {
      const v = readModelDir(join(dir, 'variants', name)).manifest;
      const { sha256: _s, file: _f, ...expected } = { ...variantDraft(manifest, name, v.metrics, v.thresholds), sha256: '', file: '' };
      const { sha256: _s2, file: _f2, signature: _g, ...got } = v;
      expect(got).toEqual(expected);
      const raw = JSON.parse(readFileSync(join(dir, 'variants', name, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      expect(verifyManifest(raw, trusted)).toMatchObject({ ok: true });
    }
  });
});
