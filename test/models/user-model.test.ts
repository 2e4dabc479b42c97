/** @jest-environment ./test/ml/ort-environment.js */
import { join } from 'node:path';
import { assetConfig } from '../../src/assets/config';
import { linearModel, sandbox, sha256, writeModel, type Sandbox } from './fixtures';
import { rig, service } from './service-helpers';

/**
 * A user's own model (any exporter: the graph here is a plain MatMul as skl2onnx would write for a
 * linear model) bound to an asset by its manifest alone: feature inputs with z-score
 * normalization, a RUL output with units, RUL limits from the manifest.
 */
describe('a user model bound by manifest alone', () => {
  let sb: Sandbox;
  beforeAll(() => { sb = sandbox(); });
  afterAll(() => sb.cleanup());

  it('assembles the normalized feature vector, scores RUL and derives the maintenance window', async () => {
    const bytes = linearModel([10, -20]);
    writeModel(join(sb.shipped, 'user-rul'), bytes, {
      id: 'user-rul', version: '0.3.1', kind: 'rul', sha256: sha256(bytes),
      inputs: [{ name: 'f', layout: 'features', shape: [-1, 2], features: ['temp.mean', 'vib.rms'], normalization: { type: 'zscore', mean: [50, 1], std: [10, 0.5] } }],
      outputs: [{ name: 'score', meaning: 'rul', units: 'hours', range: [-1000, 1000] }],
      thresholds: { rulWarn: 40, rulAlarm: 10 },
      training: { data: 'customer line 3, 2024', protocol: 'sklearn LinearRegression' },
    }, sb.key);
    const cfg = assetConfig.parse({
      id: 'fan', tags: { temp: 'plc/a', vib: 'plc/b' },
      window: { type: 'count', size: 4, frameMs: 1000, latenessMs: 0 },
      features: ['mean', 'rms'], models: [{ id: 'user-rul', role: 'rul', input: 'features' }], health: { n: 1, m: 1 },
    });
    const svc = service(sb, [cfg]);
    await svc.start();
    const r = rig(cfg, svc);
    r.push([
      ...[0, 1, 2, 3].flatMap((k) => [
        { tag: 'plc/a', value: 70, sourceTs: k * 1000, receivedTs: k * 1000, quality: 'good' as const },
        { tag: 'plc/b', value: 1, sourceTs: k * 1000, receivedTs: k * 1000, quality: 'good' as const },
      ]),
      { tag: 'plc/a', value: 0, sourceTs: 4000, receivedTs: 4000, quality: 'good' as const },
    ]);
    await r.idle();
    // z(temp.mean) = (70 - 50) / 10 = 2, z(vib.rms) = (1 - 1) / 0.5 = 0 -> RUL = 20 hours
    expect(r.windows[0].health?.[0]).toEqual({
      model: 'user-rul', version: '0.3.1', role: 'rul', value: 20, units: 'hours', state: 'warning', quality: 'good',
      maintenance: { dueIn: 10, units: 'hours', urgency: 'warning', dueBy: 4000 + 10 * 3_600_000 }, // window end + 10 h
    });
    expect(r.alarms.map((a) => [a.action, a.severity, a.condition])).toEqual([['raise', 'warning', 'rul']]);
    await svc.stop();
  });
});
