/** @jest-environment ./test/ml/ort-environment.js */
import { join } from 'node:path';
import { framesManifest, meanModel, sandbox, writeModel, type Sandbox } from './fixtures';
import { CHANNELS, FRAMES, pmVersion, pumpAsset, rig, service } from './service-helpers';

/** A compressed variant as `train` writes it, <parent>/variants/<name>, is bound by its id <parent>-<name> alone. */
describe('shipped variants', () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = sandbox();
    pmVersion(sb, '1.0.0'); // the variants below are newer (2.0.0): the parent must not take them for its own versions
    const variant = (parent: string, name: string, scale: number, signed = true): void => {
      const bytes = meanModel(FRAMES, CHANNELS.length, { scale });
      writeModel(join(sb.shipped, parent, 'variants', name), bytes, framesManifest({ id: `${parent}-${name}`, version: '2.0.0', bytes }, FRAMES, CHANNELS), signed ? sb.key : null);
    };
    variant('pm', 'small', 2);
    variant('pm-x', 'y-z', 3); // hyphens on both sides of the one that splits the id
    variant('pm', 'raw', 4, false);
  });
  afterAll(() => sb.cleanup());

  it('loads a variant by its id, verified like any version, and leaves the parent alone', async () => {
    const bind = (...ids: string[]) => pumpAsset({ models: ids.map((id) => ({ id, role: 'anomaly' as const, input: 'frames' as const })) });
    const asset = bind('pm', 'pm-small', 'pm-x-y-z', 'pm-raw');
    const svc = service(sb, [asset]);
    await svc.start();
    expect(svc.models().map((m) => [m.id, m.version ?? m.error])).toEqual([
      ['pm', '1.0.0'],
      ['pm-small', '2.0.0'],
      ['pm-x-y-z', '2.0.0'],
      ['pm-raw', `model pm-raw: no usable version (2.0.0: model pm-raw@2.0.0 (${join(sb.shipped, 'pm', 'variants', 'raw')}): the manifest is not signed (run pdm-gateway sign-model))`],
    ]);
    // Each scores with its own file: the window mean times its scale.
    const r = rig(bind('pm', 'pm-small', 'pm-x-y-z'), svc);
    await r.windowsOf([1, 1]);
    expect(r.windows[0]!.health!.map((h) => [h.model, h.version, h.value])).toEqual([['pm', '1.0.0', 1], ['pm-small', '2.0.0', 2], ['pm-x-y-z', '2.0.0', 3]]);
    await r.p.stop();
    await svc.stop();
  });
});
