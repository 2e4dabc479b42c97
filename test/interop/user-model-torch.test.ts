/** @jest-environment ./test/ml/ort-environment.js */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetConfig } from '../../src/assets/config';
import type { Sample } from '../../src/core/sample';
import { readOnnxModel } from '../../src/ml/onnx';
import { Rng } from '../../src/ml/rng';
import { requireCommand } from '../helpers/peers';
import { sandbox, type Sandbox } from '../models/fixtures';
import type { ModelService } from '../../src/models/service';
import { rig, service, type Rig } from '../models/service-helpers';
import { CHANNELS, expectClose, FRAMES, frame, placeModel, samplesOf } from './user-model-helpers';

/**
 * "A user's own ONNX model is bound to an asset by manifest alone, with no code change", with a
 * real foreign exporter: PyTorch (Debian python3-torch) trains a convolutional autoencoder and
 * builds an LSTM regressor, torch.onnx writes both, the user writes each manifest by hand and
 * signs it with `pdm-gateway sign-model`, and the asset config binds them by id. The gateway's
 * scores must be PyTorch's own, and the autoencoder's alarm must follow the injected fault.
 */
const TRAIN_WINDOWS = 60;
const PHASES: [string, number][] = [['normal', 6], ['fault', 6], ['normal', 8]];

interface Expected { mean: number[]; std: number[]; threshold: number; ae: number[]; rul: number[]; featMean: number[]; featStd: number[]; feat: number[] }

function manifest(id: string, kind: 'anomaly' | 'rul', e: Expected, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id, version: '0.1.0', kind, description: `${id}, exported by torch.onnx`,
    sha256: '0'.repeat(64), // sign-model records the real one
    inputs: [{ name: 'x', layout: 'frames', shape: [-1, FRAMES, CHANNELS.length], channels: CHANNELS, frames: FRAMES, normalization: { type: 'zscore', mean: e.mean, std: e.std } }],
    training: { data: 'pump P-7 normal operation (synthetic)', protocol: 'PyTorch 1.13, Adam, 300 steps' },
    ...extra,
  };
}

describe('a PyTorch model bound to an asset by its manifest alone', () => {
  let sb: Sandbox;
  let expected: Expected;
  const test: number[][] = [];

  let work = '';
  const place = (dir: string, exported: string, m: Record<string, unknown>): string => placeModel(sb, dir, join(work, exported, 'model.onnx'), m);
  const asset = assetConfig.parse({
    id: 'pump-7', tags: { temp: 'plc/temp', vib: 'plc/vib', pressure: 'plc/pressure' },
    window: { type: 'count', size: FRAMES, frameMs: 1000, latenessMs: 0 },
    features: ['mean', 'std'],
    models: [{ id: 'torch-ae', role: 'anomaly' }, { id: 'torch-rul', role: 'rul' }],
    health: { n: 2, m: 3 },
  });
  const frames = (from: number, count: number): Sample[] => samplesOf(test, from, count);
  /** A model service over the sandbox and the asset's pipeline on it. */
  const started = async (): Promise<{ svc: ModelService; r: Rig }> => {
    const svc = service(sb, [asset]);
    await svc.start();
    return { svc, r: rig(asset, svc) };
  };
  const rul = (m: Record<string, unknown>): Record<string, unknown> => ({ ...m, outputs: [{ name: 'rul', meaning: 'rul', units: 'cycles', range: [0, 200] }], thresholds: { rulWarn: 10, rulAlarm: 5 } });

  beforeAll(() => {
    requireCommand('python3', 'python3-torch');
    sb = sandbox();
    const rng = new Rng(11);
    const train = Array.from({ length: TRAIN_WINDOWS * FRAMES }, (_, k) => frame(rng, k, 0));
    let k = 0;
    for (const [phase, windows] of PHASES) for (let i = 0; i < windows * FRAMES; i++, k++) test.push(frame(rng, k, phase === 'fault' ? 1 : 0));
    work = join(sb.root, 'torch');
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'stream.json'), JSON.stringify({ frames: FRAMES, channels: CHANNELS.length, train, test }));
    const py = spawnSync('/usr/bin/python3', [join(__dirname, 'peers', 'torch_models.py'), work], { encoding: 'utf8', timeout: 120_000 });
    if (py.status !== 0) throw new Error(`torch_models.py failed (is python3-torch installed? .ci/run installs it): ${py.stderr}`);
    expected = JSON.parse(readFileSync(join(work, 'expected.json'), 'utf8')) as Expected;

    const models: [string, Record<string, unknown>][] = [
      ['torch-ae', manifest('torch-ae', 'anomaly', expected, { outputs: [{ name: 'score', meaning: 'anomaly-score', range: [0, 1e6] }], thresholds: { anomaly: expected.threshold } })],
      ['torch-rul', rul(manifest('torch-rul', 'rul', expected))],
    ];
    for (const [id, m] of models) place(join(sb.shipped, id), id, m);
  }, 180_000);
  afterAll(() => sb.cleanup());

  it('scores every window as PyTorch does, and the autoencoder raises and clears the alarm on the fault', async () => {
    const svc = service(sb, [asset]);
    await svc.start();
    expect(svc.models().map((m) => `${m.id}@${m.version}`).sort()).toEqual(['torch-ae@0.1.0', 'torch-rul@0.1.0']);
    const r = rig(asset, svc);
    for (let k = 0; k < test.length; k += FRAMES) {
      r.push(frames(k, FRAMES));
      await r.idle();
    }
    // The last window closes when a frame after it arrives.
    r.push([{ tag: 'plc/temp', value: 70, sourceTs: test.length * 1000, receivedTs: test.length * 1000, quality: 'good' }]);
    await r.idle();
    const windows = test.length / FRAMES;
    expect(r.windows.map((w) => w.seq)).toEqual(Array.from({ length: windows }, (_, i) => i));
    const value = (id: string): number[] => r.windows.map((w) => w.health?.find((h) => h.model === id)?.value ?? Number.NaN);
    expectClose(value('torch-ae'), expected.ae, 1e-4, 'torch-ae', 'PyTorch');
    expectClose(value('torch-rul'), expected.rul, 1e-4, 'torch-rul', 'PyTorch');

    // The fault's windows score far above the threshold, the normal ones under it.
    const [normal1, fault] = [PHASES[0]![1], PHASES[1]![1]];
    const over = expected.ae.map((s) => s > expected.threshold);
    expect(over).toEqual(expected.ae.map((_, i) => i >= normal1 && i < normal1 + fault));
    // n = 2 of m = 3: raised at the end of the fault's second window; cleared at the end of the second normal one after it.
    expect(r.alarms.map((a) => [a.action, a.condition, a.model, a.version, a.ts])).toEqual([
      ['raise', 'anomaly', 'torch-ae', '0.1.0', (normal1 + 2) * FRAMES * 1000],
      ['clear', 'anomaly', 'torch-ae', '0.1.0', (normal1 + fault + 2) * FRAMES * 1000],
    ]);
    const rul = r.windows[0]!.health!.find((h) => h.model === 'torch-rul')!;
    expect(rul).toMatchObject({ role: 'rul', units: 'cycles', state: 'normal', quality: 'good', maintenance: { units: 'cycles' } });
    await r.p.stop();
    await svc.stop();
  });

  it('refuses a PyTorch export that does not fit its manifest, naming the model, the input and both sides, and keeps scoring', async () => {
    const { svc, r } = await started();
    r.push(frames(0, FRAMES));
    await r.idle();
    const staged = join(sb.root, 'staging');
    const m = rul(manifest('torch-rul', 'rul', expected));
    const thirty = { ...m, version: '0.2.0', inputs: [{ ...(m.inputs as Record<string, unknown>[])[0], shape: [-1, 30, 3], frames: 30 }] };
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['torch-rul', 'thirty', thirty, "model torch-rul@0.2.0: input 'x': the manifest says [-1, 30, 3] but the ONNX graph has [batch, 20, 3]"],
      ['torch-rul-f64', 'f64', { ...m, version: '0.3.0' }, "model torch-rul@0.3.0: input 'x' is float64 in the ONNX graph; the manifest says float32 (the gateway feeds float32: export the model with float32 inputs)"],
    ];
    for (const [exported, name, man, message] of cases) {
      const res = await svc.install(place(join(staged, name), exported, man));
      expect(res.ok ? '' : res.message).toBe(message);
    }
    expect(svc.stats()).toMatchObject({ rejected: 2 });
    r.push(frames(FRAMES, FRAMES + 1));
    await r.idle();
    expect(r.windows.map((w) => w.health?.find((h) => h.model === 'torch-rul')?.version)).toEqual(['0.1.0', '0.1.0']);
    expectClose(r.windows.map((w) => w.health!.find((h) => h.model === 'torch-rul')!.value), expected.rul.slice(0, 2), 1e-4, 'torch-rul', 'PyTorch');
    await r.p.stop();
    await svc.stop();
  });

  it('accepts an export whose time axis is dynamic: the manifest fixes the window, and the swap scores as before', async () => {
    const { svc, r } = await started();
    // Batch and time are both symbolic in this export (the reader gives -1 for a symbolic axis).
    expect(readOnnxModel(readFileSync(join(work, 'torch-rul-dyn', 'model.onnx'))).inputs[0]!.dims).toEqual([-1, -1, CHANNELS.length]);
    const res = await svc.install(place(join(sb.root, 'staging', 'dyn'), 'torch-rul-dyn', { ...rul(manifest('torch-rul', 'rul', expected)), version: '0.4.0' }));
    expect(res).toMatchObject({ ok: true, version: '0.4.0', mode: 'active' });
    r.push(frames(0, 2 * FRAMES + 1));
    await r.idle();
    const h = r.windows.map((w) => w.health!.find((x) => x.model === 'torch-rul')!);
    expect(h.map((x) => x.version)).toEqual(['0.4.0', '0.4.0']);
    expectClose(h.map((x) => x.value), expected.rul.slice(0, 2), 1e-4, 'torch-rul', 'PyTorch');
    await r.p.stop();
    await svc.stop();
  });

  it('binds a PyTorch regressor over the window features (each channel\'s mean and std) by the features layout', async () => {
    const names = CHANNELS.flatMap((c) => [`${c}.mean`, `${c}.std`]);
    place(join(sb.shipped, 'torch-feat'), 'torch-feat', {
      ...rul(manifest('torch-feat', 'rul', expected)),
      inputs: [{ name: 'x', layout: 'features', shape: [-1, names.length], features: names, normalization: { type: 'zscore', mean: expected.featMean, std: expected.featStd } }],
      outputs: [{ name: 'rul', meaning: 'rul', units: 'h', range: [0, 200] }],
    });
    const feat = assetConfig.parse({ ...asset, id: 'pump-7-feat', models: [{ id: 'torch-feat', role: 'rul', input: 'features' }] });
    const svc = service(sb, [feat]);
    await svc.start();
    const r = rig(feat, svc);
    r.push(frames(0, 3 * FRAMES + 1));
    await r.idle();
    const h = r.windows.map((w) => w.health!.find((x) => x.model === 'torch-feat')!);
    // The gateway's own mean and std of each window, normalized by the manifest, give PyTorch's output.
    expectClose(h.map((x) => x.value), expected.feat.slice(0, 3), 1e-4, 'torch-feat', 'PyTorch');
    const dueIn = h[0]!.value - 5; // to rulAlarm, in hours
    expect(h[0]).toMatchObject({ units: 'h', state: 'normal', maintenance: { units: 'h', urgency: 'normal' } });
    expect(h[0]!.maintenance!.dueIn).toBeCloseTo(dueIn, 9);
    expect(h[0]!.maintenance!.dueBy).toBeCloseTo(FRAMES * 1000 + dueIn * 3_600_000, 0);
    await r.p.stop();
    await svc.stop();
  });
});
