/** @jest-environment ./test/ml/ort-environment.js */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssetPipeline } from '../../src/assets/pipeline';
import type { WindowResult } from '../../src/assets/types';
import { loadConfig } from '../../src/config/load';
import { ManualClock } from '../../src/core/clock';
import { CMAPSS_SENSORS, readCmapss, truncate } from '../../src/ml/cmapss-data';
import { predictRulOnnx } from '../../src/ml/evaluate-rul';
import { readModelDir } from '../../src/ml/model-files';
import { ModelService } from '../../src/models/service';
import { silentLogger } from '../../src/observability/logger';
import { describeWithData } from '../helpers/shared-data';

const ROOT = join(__dirname, '../..');

/**
 * The shipped RUL model read through the gateway (the demo's turbofan asset: 80 frames sliding by
 * 10, the model's normalization applied row by row as windows slide) on real engines must give
 * what the training side's evaluation gives for the same cycles (`evaluate rul` and the model
 * card's figures): same channels, order, scaling and window, nothing lost between the two.
 */
describeWithData('cmapss', 'the shipped RUL model through the gateway pipeline', (dataDir) => {
  it('reads every window of three real FD001 engines as the evaluation does at those cycles', async () => {
    const loaded = loadConfig(join(ROOT, 'config/demo.yaml'));
    const asset = loaded.config.assets.find((a) => a.id === 'turbofan-1')!;
    expect(Object.keys(asset.tags)).toEqual([...CMAPSS_SENSORS]);
    const install = mkdtempSync(join(tmpdir(), 'pdm-rul-gw-'));
    const svc = new ModelService({ config: { ...loaded.config.models, rescanIntervalMs: 0 }, modelsDir: loaded.modelsDir, installDir: install, assets: [asset], logger: silentLogger() });
    await svc.start();
    try {
      const { onnx, manifest } = readModelDir(join(loaded.modelsDir, 'cmapss-rul'));
      const [size, step] = [asset.window.size, asset.window.step!];
      for (const engine of readCmapss(join(dataDir, 'train_FD001.txt')).slice(0, 3)) {
        const windows: WindowResult[] = [];
        const p = new AssetPipeline({ config: asset, logger: silentLogger(), clock: new ManualClock(0), models: svc });
        p.on('window', (w) => windows.push(w));
        const C = CMAPSS_SENSORS.length;
        for (let k = 0; k < engine.cycles; k++) p.pushFrame(k * asset.window.frameMs, engine.sensors.subarray(k * C, (k + 1) * C));
        p.finish();
        await p.stop();
        // Window i holds cycles 10i + 1 .. 10i + 80: the evaluation's prediction with the engine cut after its last one.
        const cycles = windows.map((_, i) => i * step + size);
        expect(windows).toHaveLength(Math.floor((engine.cycles - size) / step) + 1);
        const want = await predictRulOnnx(onnx, manifest, cycles.map((c) => truncate(engine, c).engine));
        const got = windows.map((w) => w.health![0]!.value);
        // Seen: identical to the last bit (0 difference over the 43 windows).
        got.forEach((g, i) => {
          if (!(Math.abs(g - want[i]!) <= 1e-3)) throw new Error(`engine ${engine.unit}, window ending at cycle ${cycles[i]}: gateway ${g}, evaluation ${want[i]}`);
        });
        // And the readings follow wear: the last window (at most 9 cycles before failure) is read within 10 cycles of the truth
        // (seen: 2.0 for 2, 5.4 for 7, 7.8 for 9), and the first ones near the cap (seen: 117.7, 125.0, 112.6).
        expect(Math.abs(got[got.length - 1]! - (engine.cycles - cycles[cycles.length - 1]!))).toBeLessThan(10);
        expect(got[0]).toBeGreaterThan(100);
      }
    } finally {
      await svc.stop();
      rmSync(install, { recursive: true, force: true });
    }
  });
});
