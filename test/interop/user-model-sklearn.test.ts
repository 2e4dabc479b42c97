/** @jest-environment ./test/ml/ort-environment.js */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetConfig } from '../../src/assets/config';
import { readOnnxModel } from '../../src/ml/onnx';
import { Rng } from '../../src/ml/rng';
import { requireCommand } from '../helpers/peers';
import { sandbox, type Sandbox } from '../models/fixtures';
import { rig, service } from '../models/service-helpers';
import { CHANNELS, expectClose, FRAMES, frame, placeModel, samplesOf } from './user-model-helpers';

/**
 * The scikit-learn route of "a user's own model, bound by manifest alone": a RandomForestRegressor
 * (Debian python3-sklearn) fitted on window features of pumps with faults of known severity (0-1), written
 * as the ONNX-ML TreeEnsembleRegressor that skl2onnx emits (with python3-onnx's helpers, as
 * skl2onnx is not packaged), bound as an anomaly model over the features layout. The gateway
 * computes the features itself; its scores must be scikit-learn's and its alarm must follow the fault.
 */
/** Test windows: healthy, a fault of severity 0.8, healthy again. */
const PHASES: [number, number][] = [[0, 5], [0.8, 5], [0, 6]];

describe('a scikit-learn forest (ONNX-ML TreeEnsembleRegressor) bound to an asset by its manifest alone', () => {
  let sb: Sandbox;
  afterAll(() => sb.cleanup());

  it('scores each window as scikit-learn does from the features the gateway computes, and alarms on the fault', async () => {
    requireCommand('python3', 'python3-sklearn python3-onnx');
    sb = sandbox();
    const rng = new Rng(5);
    const windowOf = (severity: number): number[][] => Array.from({ length: FRAMES }, (_, k) => frame(rng, k, severity));
    const label = Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? 0 : rng.next()));
    const test: number[][] = PHASES.flatMap(([severity, n]) => Array.from({ length: n }, () => windowOf(severity)).flat());
    const work = join(sb.root, 'sklearn');
    mkdirSync(work, { recursive: true });
    const windows = (rows: number[][]): number[][][] => Array.from({ length: rows.length / FRAMES }, (_, w) => rows.slice(w * FRAMES, (w + 1) * FRAMES));
    writeFileSync(join(work, 'windows.json'), JSON.stringify({ frames: FRAMES, train: label.map(windowOf), label, test: windows(test) }));
    const py = spawnSync('/usr/bin/python3', [join(__dirname, 'peers', 'sklearn_forest.py'), work], { encoding: 'utf8', timeout: 120_000 });
    if (py.status !== 0) throw new Error(`sklearn_forest.py failed (are python3-sklearn and python3-onnx installed? .ci/run installs them): ${py.stderr}`);
    const expected = (JSON.parse(readFileSync(join(work, 'expected.json'), 'utf8')) as { score: number[] }).score;
    const onnx = readFileSync(join(work, 'model.onnx'));
    expect(readOnnxModel(onnx).nodes.map((n) => n.opType)).toEqual(['TreeEnsembleRegressor']);

    const names = CHANNELS.flatMap((c) => [`${c}.mean`, `${c}.std`]);
    placeModel(sb, join(sb.shipped, 'pump-forest'), join(work, 'model.onnx'), {
      id: 'pump-forest', version: '1.0.0', kind: 'anomaly', sha256: '0'.repeat(64),
      inputs: [{ name: 'float_input', layout: 'features', shape: [-1, names.length], features: names, normalization: { type: 'none' } }],
      outputs: [{ name: 'variable', meaning: 'anomaly-score', range: [0, 1] }],
      thresholds: { anomaly: 0.5 },
      training: { data: 'pump P-7, 80 windows of known fault severity (synthetic)', protocol: 'scikit-learn RandomForestRegressor(n_estimators=8, max_depth=4)' },
    });
    const asset = assetConfig.parse({
      id: 'pump-7', tags: Object.fromEntries(CHANNELS.map((c) => [c, `plc/${c}`])),
      window: { type: 'count', size: FRAMES, frameMs: 1000, latenessMs: 0 },
      features: ['mean', 'std'], models: [{ id: 'pump-forest', role: 'anomaly', input: 'features' }], health: { n: 2, m: 3 },
    });
    const svc = service(sb, [asset]);
    await svc.start();
    const r = rig(asset, svc);
    for (let k = 0; k < test.length; k += FRAMES) {
      r.push(samplesOf(test, k, FRAMES));
      await r.idle();
    }
    r.push([{ tag: 'plc/temp', value: 70, sourceTs: test.length * 1000, receivedTs: test.length * 1000, quality: 'good' }]);
    await r.idle();
    expectClose(r.windows.map((w) => w.health?.[0]?.value ?? Number.NaN), expected, 1e-5, 'pump-forest', 'scikit-learn');
    const [normal1, fault] = [PHASES[0]![1], PHASES[1]![1]];
    expect(expected.map((s) => s > 0.5)).toEqual(expected.map((_, i) => i >= normal1 && i < normal1 + fault));
    expect(r.alarms.map((a) => [a.action, a.model, a.ts])).toEqual([
      ['raise', 'pump-forest', (normal1 + 2) * FRAMES * 1000],
      ['clear', 'pump-forest', (normal1 + fault + 2) * FRAMES * 1000],
    ]);
    await r.p.stop();
    await svc.stop();
  });
});
