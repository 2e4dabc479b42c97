/** @jest-environment ./test/ml/ort-environment.js */
import { sandbox, type Sandbox } from '../models/fixtures';
import { pmVersion, pumpAsset, rig, service } from '../models/service-helpers';

/**
 * A crafted fault through the real path (samples -> windows -> ONNX model -> health): the alarm
 * rises exactly when n of the last m windows are over the threshold and clears once n are under
 * the clear threshold. (The simulator end-to-end is the lead's.)
 */
describe('alarm persistence through an ONNX model', () => {
  let sb: Sandbox;
  beforeAll(() => { sb = sandbox(); pmVersion(sb, '1.0.0'); });
  afterAll(() => sb.cleanup());

  it('raises on the n-th of m anomalous windows, not before, and clears after recovery', async () => {
    const cfg = pumpAsset({ health: { n: 3, m: 4, threshold: 5, clearThreshold: 3 } });
    const svc = service(sb, [cfg]);
    await svc.start();
    const r = rig(cfg, svc);
    const scores = [1, 1, 9, 1, 9, 9, 4, 4, 2, 2, 9, 2, 2, 1];
    await r.windowsOf([...scores, 0]);
    expect(r.windows.map((w) => w.health?.[0].value)).toEqual(scores);
    expect(r.windows.map((w) => w.health?.[0].state)).toEqual([
      'normal', 'normal', 'warning', 'normal', 'warning', 'alarm', 'alarm', 'alarm', 'alarm', 'alarm', 'alarm', 'normal', 'normal', 'normal',
    ]);
    // raised at the window ending at 24 s (the 3rd over in the last 4), cleared at 48 s (3 under 3 in the last 4)
    expect(r.alarms.map((a) => [a.action, a.severity, a.ts, a.model, a.version, a.quality])).toEqual([
      ['raise', 'critical', 24_000, 'pm', '1.0.0', 'good'],
      ['clear', 'critical', 48_000, 'pm', '1.0.0', 'good'],
    ]);
    expect(r.p.stats()).toMatchObject({ alarmEvents: 2, activeAlarms: 0, scored: scores.length });
    await svc.stop();
  });
});
