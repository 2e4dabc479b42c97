/** @jest-environment ./test/ml/ort-environment.js */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signManifest } from '../../src/models/signing';
import { framesManifest, meanModel, sandbox, sha256, writeModel, type Sandbox } from './fixtures';
import { CHANNELS, FRAMES, pmVersion, pumpAsset, rig, service } from './service-helpers';

describe('bad model versions are refused, counted, and the running model keeps scoring', () => {
  let sb: Sandbox;
  beforeAll(() => { sb = sandbox(); pmVersion(sb, '1.0.0'); });
  afterAll(() => sb.cleanup());

  const staged = (name: string, bytes: Uint8Array, manifest: Record<string, unknown>, key = sb.key as typeof sb.key | null): string =>
    writeModel(join(sb.root, 'staging', name), bytes, manifest, key);
  const good = meanModel(FRAMES, CHANNELS.length, { scale: 3 });

  const cases: [string, () => string, string, RegExp][] = [
    ['a truncated model file', () => {
      const dir = staged('trunc', good, framesManifest({ id: 'pm', version: '1.1.0', bytes: good }, FRAMES, CHANNELS));
      truncateSync(join(dir, 'model.onnx'), 40);
      return dir;
    }, 'sha256', /^model pm@1\.1\.0 \(.*\/pm\/versions\/1\.1\.0\): model\.onnx is truncated or altered: its sha256 [0-9a-f]{12}\.\.\. \(40 bytes\) differs from the manifest's [0-9a-f]{12}\.\.\.$/],
    ['a truncated model file re-signed with its new hash', () => {
      const cut = good.slice(0, 60);
      return staged('trunc-signed', cut, framesManifest({ id: 'pm', version: '1.2.0', bytes: cut }, FRAMES, CHANNELS));
    }, 'load', /^model pm@1\.2\.0: onnxruntime cannot load model\.onnx: /],
    ['an unsigned model', () => staged('unsigned', good, framesManifest({ id: 'pm', version: '1.3.0', bytes: good }, FRAMES, CHANNELS), null),
      'unsigned', /^model pm@1\.3\.0 \(.*\): the manifest is not signed \(run pdm-gateway sign-model\)$/],
    ['a model signed by an unknown key', () => staged('stranger', good, framesManifest({ id: 'pm', version: '1.4.0', bytes: good }, FRAMES, CHANNELS), sb.strangerKey),
      'unknown-key', /^model pm@1\.4\.0 \(.*\): signed by unknown key [0-9a-f]{16} \(trusted: [0-9a-f]{16}\)$/],
    ['a manifest altered after signing', () => {
      const dir = staged('altered', good, framesManifest({ id: 'pm', version: '1.5.0', bytes: good }, FRAMES, CHANNELS));
      const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...m, thresholds: { anomaly: 1e9 } }));
      return dir;
    }, 'bad-signature', /the manifest was altered after signing$/],
    ['a model with the wrong input shape', () => {
      const five = meanModel(FRAMES, CHANNELS.length, { graphFrames: 5 });
      return staged('shape', five, framesManifest({ id: 'pm', version: '1.6.0', bytes: five }, FRAMES, CHANNELS));
    }, 'shape', /^model pm@1\.6\.0: input 'x': the manifest says \[-1, 4, 2\] but the ONNX graph has \[N, 5, 2\]$/],
    ['a model whose window length does not fit the asset', () => {
      const five = meanModel(5, CHANNELS.length);
      return staged('binding', five, framesManifest({ id: 'pm', version: '1.7.0', bytes: five }, 5, CHANNELS));
    }, 'binding', /^model pm@1\.7\.0: input 'x' on asset pump: the model reads windows of 5 frames but the asset's window holds 4$/],
    ['a model reading a channel the asset lacks', () => staged('channel', good, framesManifest({ id: 'pm', version: '1.8.0', bytes: good }, FRAMES, ['a', 'vibration'])),
      'binding', /^model pm@1\.8\.0: input 'x' on asset pump: channel 'vibration' is not a channel of the asset \(asset channels: a, b\)$/],
    ['an invalid manifest', () => {
      const m = framesManifest({ id: 'pm', version: 'one', bytes: good }, FRAMES, CHANNELS);
      return staged('manifest', good, m, null);
    }, 'manifest', /manifest\.json: invalid manifest: version: expected semver like 1\.2\.0$/],
  ];

  it.each(cases)('%s', async (_name, make, reason, message) => {
    const svc = service(sb, [pumpAsset()]);
    await svc.start();
    const r = rig(pumpAsset(), svc);
    r.frames(0, 5, () => 1);
    await r.idle();
    const res = await svc.install(make());
    expect(res).toMatchObject({ ok: false, reason });
    expect(res.ok ? '' : res.message).toMatch(message);
    expect(svc.stats()[`rejected_${reason.replace('-', '_')}`]).toBe(1);
    expect(svc.stats().rejected).toBe(1);
    r.frames(5, 9, () => 2);
    await r.idle();
    expect(r.windows.map((w) => [w.seq, w.health?.[0].version, w.health?.[0].value])).toEqual([[0, '1.0.0', 1], [1, '1.0.0', 1.75], [2, '1.0.0', 2]]);
    expect(svc.models()[0]).toMatchObject({ id: 'pm', version: '1.0.0' });
    await r.p.stop();
    await svc.stop();
  });

  it('a version refused at install is not picked up again by a rescan or a restart', async () => {
    const svc = service(sb, [pumpAsset()]);
    await svc.start();
    const dir = staged('unsigned-again', good, framesManifest({ id: 'pm', version: '1.9.0', bytes: good }, FRAMES, CHANNELS), null);
    expect((await svc.install(dir)).ok).toBe(false);
    expect(await svc.rescan()).toEqual([]);
    await svc.stop();
    const again = service(sb, [pumpAsset()]);
    await again.start();
    expect(again.models()[0].version).toBe('1.0.0');
    expect(again.stats().rejected).toBe(0);
    await again.stop();
  });

  it('with no usable version the asset still emits windows, each reporting the model error', async () => {
    const empty = sandbox();
    try {
      const bytes = meanModel(FRAMES, CHANNELS.length);
      const m = framesManifest({ id: 'pm', version: '1.0.0', bytes }, FRAMES, CHANNELS);
      writeModel(join(empty.shipped, 'pm'), bytes, { ...m, sha256: sha256(new Uint8Array([1])) }, empty.key);
      const svc = service(empty, [pumpAsset()]);
      await svc.start();
      expect(svc.health()).toMatchObject({ healthy: false, state: 'down' });
      expect(svc.health().detail).toMatch(/^model pm: no usable version \(1\.0\.0: model pm@1\.0\.0 .* is truncated or altered/);
      const r = rig(pumpAsset(), svc);
      r.frames(0, 6, () => 1);
      await r.idle();
      expect(r.windows).toHaveLength(1);
      expect(r.windows[0].health).toBeUndefined();
      expect(r.p.stats().scoreErrors).toBe(1);
      await svc.stop();
    } finally {
      empty.cleanup();
    }
  });

  it('signManifest covers the sha256, so swapping the model bytes under a signed manifest fails', async () => {
    const svc = service(sb, [pumpAsset()]);
    await svc.start();
    const dir = staged('swapped-bytes', good, framesManifest({ id: 'pm', version: '2.0.0', bytes: good }, FRAMES, CHANNELS));
    writeFileSync(join(dir, 'model.onnx'), meanModel(FRAMES, CHANNELS.length, { scale: 1000 }));
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(m.signature).toEqual(signManifest({ ...m }, sb.key));
    expect(await svc.install(dir)).toMatchObject({ ok: false, reason: 'sha256' });
    await svc.stop();
  });
});
