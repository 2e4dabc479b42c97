/** @jest-environment ./test/ml/ort-environment.js */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WindowResult } from '../../src/assets/types';
import type { AssetConfig } from '../../src/assets/config';
import { loadConfig, type LoadedConfig } from '../../src/config/load';
import { CMAPSS_SENSORS, readCmapss, truncate } from '../../src/ml/cmapss-data';
import { anomalyInputSpec, scoreFile } from '../../src/ml/evaluate-anomaly';
import { predictRulOnnx } from '../../src/ml/evaluate-rul';
import { readModelDir } from '../../src/ml/model-files';
import { OrtModel } from '../../src/ml/ort-predict';
import { channelStats, readSkab, SKAB_CHANNELS } from '../../src/ml/skab-data';
import { replayFrames } from '../../src/cli/replay';
import { silentLogger } from '../../src/observability/logger';
import { describeWithData } from '../helpers/shared-data';

const ROOT = join(__dirname, '../..');
const demo = (): LoadedConfig => loadConfig(join(ROOT, 'config/demo.yaml'));

/**
 * One asset of the demo fed `rows` (rows x channels) as frames through the replay core, with its
 * shipped model or the one bound instead (`model`); its windows. A fresh install root keeps a
 * developer's own registry state out of it.
 */
async function throughGateway(loaded: LoadedConfig, assetId: string, rows: Float32Array, model?: string): Promise<{ windows: WindowResult[]; asset: AssetConfig }> {
  const demoAsset = loaded.config.assets.find((a) => a.id === assetId)!;
  const asset = model ? { ...demoAsset, models: [{ ...demoAsset.models[0]!, id: model }] } : demoAsset;
  const install = mkdtempSync(join(tmpdir(), 'pdm-gw-consistency-'));
  try {
    const windows: WindowResult[] = [];
    const n = rows.length / Object.keys(asset.tags).length;
    const frames = { ts: Float64Array.from({ length: n }, (_, k) => k * asset.window.frameMs), values: rows, rows: n };
    await replayFrames({ ...loaded, installDir: install }, asset, frames, silentLogger(), { window: (w) => windows.push(w), alarm: () => undefined });
    return { windows, asset };
  } finally {
    rmSync(install, { recursive: true, force: true });
  }
}

/** Each gateway value within `tol` of the evaluation's, else an error naming the window. */
function expectSame(got: readonly number[], want: readonly number[], tol: number, what: (i: number) => string): void {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => {
    if (!(Math.abs(g - want[i]!) <= tol)) throw new Error(`${what(i)}: gateway ${g}, evaluation ${want[i]}`);
  });
}

/**
 * The shipped RUL model read through the gateway (the demo's turbofan asset: 80 frames sliding by
 * 10, the model's normalization applied row by row as windows slide) on real engines must give
 * what the training side's evaluation gives for the same cycles (`evaluate rul` and the model
 * card's figures): same channels, order, scaling and window, nothing lost between the two.
 */
describeWithData('cmapss', 'the shipped RUL model through the gateway pipeline', (dataDir) => {
  it('reads every window of three real FD001 engines as the evaluation does at those cycles', async () => {
    const loaded = demo();
    const { onnx, manifest } = readModelDir(join(loaded.modelsDir, 'cmapss-rul'));
    for (const engine of readCmapss(join(dataDir, 'train_FD001.txt')).slice(0, 3)) {
      const { windows, asset } = await throughGateway(loaded, 'turbofan-1', engine.sensors);
      expect(Object.keys(asset.tags)).toEqual([...CMAPSS_SENSORS]);
      const [size, step] = [asset.window.size, asset.window.step!];
      // Window i holds cycles 10i + 1 .. 10i + 80: the evaluation's prediction with the engine cut after its last one.
      const cycles = windows.map((_, i) => i * step + size);
      expect(windows).toHaveLength(Math.floor((engine.cycles - size) / step) + 1);
      const want = await predictRulOnnx(onnx, manifest, cycles.map((c) => truncate(engine, c).engine));
      const got = windows.map((w) => w.health![0]!.value);
      // Seen: identical to the last bit (0 difference over the 43 windows).
      expectSame(got, want, 1e-3, (i) => `engine ${engine.unit}, window ending at cycle ${cycles[i]}`);
      // And the readings follow wear: the last window (at most 9 cycles before failure) is read within 10 cycles of the truth
      // (seen: 2.0 for 2, 5.4 for 7, 7.8 for 9), and the first ones near the cap (seen: 117.7, 125.0, 112.6).
      expect(Math.abs(got[got.length - 1]! - (engine.cycles - cycles[cycles.length - 1]!))).toBeLessThan(10);
      expect(got[0]).toBeGreaterThan(100);
    }
  });

  it('runs each shipped compressed variant, bound by its id alone, as the evaluation runs its file', async () => {
    const loaded = demo();
    const engine = readCmapss(join(dataDir, 'train_FD001.txt'))[0]!;
    for (const name of ['pruned', 'int8', 'student']) {
      const { onnx, manifest } = readModelDir(join(loaded.modelsDir, 'cmapss-rul', 'variants', name));
      const { windows, asset } = await throughGateway(loaded, 'turbofan-1', engine.sensors, `cmapss-rul-${name}`);
      const cycles = windows.map((_, i) => i * asset.window.step! + asset.window.size);
      const want = await predictRulOnnx(onnx, manifest, cycles.map((c) => truncate(engine, c).engine));
      expect(windows.map((w) => `${w.health![0]!.model}@${w.health![0]!.version}`)).toEqual(cycles.map(() => `cmapss-rul-${name}@1.5.0`));
      expectSame(windows.map((w) => w.health![0]!.value), want, 1e-3, (i) => `cmapss-rul-${name}, window ending at cycle ${cycles[i]}`);
    }
  });
});

describeWithData('skab', 'the shipped anomaly model through the gateway pipeline', (dataDir) => {
  it.each(['skab-anomaly', 'skab-anomaly-pruned', 'skab-anomaly-int8', 'skab-anomaly-student'])('%s scores every calibrated window of a real SKAB file as the evaluation does at those rows', async (id) => {
    const loaded = demo();
    const variant = id.slice('skab-anomaly'.length + 1);
    const { onnx, manifest } = readModelDir(join(loaded.modelsDir, 'skab-anomaly', ...(variant ? ['variants', variant] : [])));
    const f = readSkab(join(dataDir, 'valve1', '1.csv'), dataDir);
    const { windows, asset } = await throughGateway(loaded, 'pump-1', f.values, id);
    expect(Object.keys(asset.tags)).toEqual([...SKAB_CHANNELS]);
    // The evaluation's own calibration of the file (its first rows, with the manifest's floor) and its stride-1 scores.
    const { window, minStd, calibrationRows } = anomalyInputSpec(manifest);
    const cal = channelStats(f.values, 0, calibrationRows!);
    const model = await OrtModel.load(onnx);
    const all = await scoreFile(model, f, window, { mean: cal.mean, std: cal.std.map((v, c) => Math.max(v, minStd[c] ?? 0)) });
    await model.release();
    // Window i holds rows 10i .. 10i + 29; the gateway scores it once the first 400 rows have calibrated the baseline.
    const scored = windows.map((w, i) => ({ i, h: w.health?.[0] })).filter((x) => x.h !== undefined);
    expect(scored[0]!.i * asset.window.step! + window).toBeGreaterThanOrEqual(calibrationRows!);
    expect(scored.length).toBeGreaterThan(70);
    expect(new Set(scored.map((x) => `${x.h!.model}@${x.h!.version}`))).toEqual(new Set([`${id}@1.1.0`]));
    // Seen: 1.5e-8 at most over the 75 windows, but 3.1e-4 for int8, whose DynamicQuantizeLinear takes one activation
    // scale per batch, so a window's score moves a little with the windows batched beside it (docs/models.md).
    const tol = id.endsWith('-int8') ? 1e-3 : 1e-4;
    expectSame(scored.map((x) => x.h!.value), scored.map((x) => all[x.i * asset.window.step!]!), tol, (k) => `${id} window ${scored[k]!.i}`);
  });
});
