/**
 * `npm run bench -- models [--cmapss DIR] [--skab DIR] [--models DIR]`: for each shipped model
 * and its compressed variants (models/<id>/variants/*): file size, gzip size, onnxruntime-node
 * latency at batch 1 and 64 (median), and accuracy on the real data when its folder is given.
 * The raw-library limit beside it: the same session.run on an Identity graph of the same input.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { evaluateAnomalyDir } from '../src/ml/evaluate-anomaly';
import { predictRulOnnx } from '../src/ml/evaluate-rul';
import { phm08Score, rmse } from '../src/ml/metrics';
import { readModelDir } from '../src/ml/model-files';
import { table } from '../src/ml/model-card';
import { OnnxGraphBuilder } from '../src/ml/onnx';
import { loadTrainEngines, RUL_DEFAULTS, splitEngines } from '../src/ml/rul-model';
import type { ModelManifest } from '../src/models/manifest';
import { ortOptions } from '../src/models/session-host';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function latencyMs(bytes: Uint8Array, sample: number[], batch: number, runs: number): Promise<number> {
  const s = await ort.InferenceSession.create(bytes, ortOptions({ threads: 1 })); // the gateway's session options
  const size = sample.reduce((a, b) => a * b, 1);
  const x = new ort.Tensor('float32', Float32Array.from({ length: batch * size }, (_, i) => Math.sin(i)), [batch, ...sample]);
  const feeds = { [s.inputNames[0]!]: x };
  for (let i = 0; i < 20; i++) await s.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await s.release();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function identityModel(sample: number[]): Uint8Array {
  const g = new OnnxGraphBuilder('identity');
  g.input('x', [-1, ...sample]);
  g.node('Identity', ['x'], ['y']);
  g.output('y', [-1, ...sample]);
  return g.toModelBytes();
}

interface Row {
  model: string;
  variant: string;
  bytes: number;
  gzipBytes: number;
  ms1: number;
  ms64: number;
  accuracy: Record<string, number>;
}

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const modelsDir = resolve(arg(args, '--models') ?? 'models');
  const cmapss = arg(args, '--cmapss');
  const skab = arg(args, '--skab');
  const runs = Number(arg(args, '--runs') ?? 200);
  const rows: Row[] = [];
  const floors: Record<string, { ms1: number; ms64: number }> = {};
  for (const id of readdirSync(modelsDir).filter((d) => existsSync(join(modelsDir, d, 'manifest.json')))) {
    const base = join(modelsDir, id);
    const variantsDir = join(base, 'variants');
    const dirs: Array<[string, string]> = [['float32', base], ...(existsSync(variantsDir) ? readdirSync(variantsDir).sort().map((v): [string, string] => [v, join(variantsDir, v)]) : [])];
    const baseManifest = readModelDir(base).manifest;
    const sample = baseManifest.inputs[0]!.shape.slice(1);
    const idBytes = identityModel(sample);
    floors[id] = { ms1: await latencyMs(idBytes, sample, 1, runs), ms64: await latencyMs(idBytes, sample, 64, runs) };
    const rulSplit = cmapss && baseManifest.kind === 'rul' ? splitEngines(loadTrainEngines(cmapss), RUL_DEFAULTS) : undefined;
    for (const [variant, dir] of dirs) {
      const { manifest, onnx } = readModelDir(dir);
      const accuracy = await accuracyOf(manifest, onnx, rulSplit, skab);
      const row: Row = { model: id, variant, bytes: onnx.length, gzipBytes: gzipSync(onnx).length, ms1: await latencyMs(onnx, sample, 1, runs), ms64: await latencyMs(onnx, sample, 64, runs), accuracy };
      rows.push(row);
      process.stderr.write(`${id} ${variant}: ${row.bytes} B (gzip ${row.gzipBytes}), ${row.ms1.toFixed(3)} ms @1, ${row.ms64.toFixed(3)} ms @64 ${JSON.stringify(accuracy)}\n`);
    }
  }
  for (const id of Object.keys(floors)) {
    const mine = rows.filter((r) => r.model === id);
    const accKeys = Object.keys(mine[0]?.accuracy ?? {});
    process.stderr.write(
      `\n${id} (identity-graph floor: ${floors[id]!.ms1.toFixed(3)} ms @1, ${floors[id]!.ms64.toFixed(3)} ms @64)\n${table(
        ['variant', 'file bytes', 'gzip bytes', 'latency @1 (ms)', 'latency @64 (ms)', ...accKeys],
        mine.map((r) => [r.variant, r.bytes, r.gzipBytes, r.ms1.toFixed(3), r.ms64.toFixed(3), ...accKeys.map((k) => (r.accuracy[k]! < 1 && k !== 'rmse' ? `${(r.accuracy[k]! * (k === 'f1' ? 1 : 100)).toFixed(k === 'f1' ? 3 : 1)}${k === 'f1' ? '' : '%'}` : r.accuracy[k]!.toFixed(2)))]),
      )}\n`,
    );
  }
  return {
    node: process.version,
    ort: (ort.env as { versions?: { common?: string } }).versions?.common ?? 'unknown',
    runs,
    floors,
    rows: rows.map((r) => ({ ...r, ratio1: r.ms1 / floors[r.model]!.ms1, ratio64: r.ms64 / floors[r.model]!.ms64 })),
  };
}

async function accuracyOf(manifest: ModelManifest, onnx: Uint8Array, rulSplit: ReturnType<typeof splitEngines> | undefined, skab: string | undefined): Promise<Record<string, number>> {
  if (manifest.kind === 'rul' && rulSplit) {
    const pred = await predictRulOnnx(onnx, manifest, rulSplit.report.engines);
    return { rmse: rmse(pred, rulSplit.report.rul), scorePer100: (phm08Score(pred, rulSplit.report.rul) * 100) / pred.length };
  }
  if (manifest.kind === 'anomaly' && skab) {
    const ev = await evaluateAnomalyDir(skab, onnx, manifest, { calibrationRows: 400 });
    return { f1: ev.total.f1, far: ev.total.far, mar: ev.total.mar };
  }
  return {};
}
