/** @jest-environment ./test/ml/ort-environment.js */
import { sandbox, type Sandbox } from './fixtures';
import { pmVersion, pumpAsset, rig, service } from './service-helpers';

describe('batching across assets', () => {
  let sb: Sandbox;
  beforeEach(() => { sb = sandbox(); pmVersion(sb, '1.0.0'); });
  afterEach(() => sb.cleanup());

  it('windows of two assets bound to one model in one turn go out as one run of 2, each asset getting its own value', async () => {
    const a1 = pumpAsset({ id: 'pump-a' });
    const a2 = pumpAsset({ id: 'pump-b' });
    const svc = service(sb, [a1, a2]);
    await svc.start();
    const r1 = rig(a1, svc);
    const r2 = rig(a2, svc);
    // one synchronous turn: frames 0..3 make a window of each asset, frame 4 closes it
    r1.frames(0, 5, () => 1);
    r2.frames(0, 5, () => 3);
    await r1.idle();
    await r2.idle();
    expect(r1.windows.map((w) => [w.asset, w.health?.[0].value])).toEqual([['pump-a', 1]]);
    expect(r2.windows.map((w) => [w.asset, w.health?.[0].value])).toEqual([['pump-b', 3]]);
    expect(svc.stats()).toMatchObject({ batches: 1, meanBatch: 2, maxBatchSeen: 2, windowsScored: 2, scoreErrors: 0 });
    await svc.stop();
  });
});
