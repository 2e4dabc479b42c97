/** @jest-environment ./test/ml/ort-environment.js */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox, type Sandbox } from './fixtures';
import { pmVersion, pumpAsset, rig, service } from './service-helpers';

function immediate(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

describe('hot swap, rollback and shadow mode', () => {
  let sb: Sandbox;
  beforeEach(() => { sb = sandbox(); pmVersion(sb, '1.0.0'); });
  afterEach(() => sb.cleanup());

  it('swaps versions under load without losing or double-scoring a window', async () => {
    const svc = service(sb, [pumpAsset()], { probationWindows: 5 });
    await svc.start();
    const r = rig(pumpAsset(), svc);
    const v2 = pmVersion(sb, '1.1.0', { scale: 2, where: 'staging' });
    let k = 0;
    let install: Promise<unknown> | undefined;
    for (let i = 0; i < 60; i++) {
      r.frames(k, 8, (f) => f); // two windows per turn, value = frame index
      k += 8;
      if (i === 15) install = svc.install(v2); // loads while windows keep flowing
      await immediate();
    }
    expect(await install).toEqual({ ok: true, id: 'pm', version: '1.1.0', mode: 'active' });
    for (let i = 0; i < 10; i++) {
      r.frames(k, 8, (f) => f);
      k += 8;
      await immediate();
    }
    await r.p.stop();
    const n = r.windows.length;
    expect(n).toBe(k / 4 - 1); // every complete window but the one still open
    expect(r.windows.map((w) => w.seq)).toEqual(Array.from({ length: n }, (_, i) => i));
    const versions = r.windows.map((w) => w.health?.[0].version);
    const firstV2 = versions.indexOf('1.1.0');
    expect(firstV2).toBeGreaterThan(0);
    expect(versions.slice(0, firstV2).every((v) => v === '1.0.0')).toBe(true);
    expect(versions.slice(firstV2).every((v) => v === '1.1.0')).toBe(true);
    // each value is the one its version computes: window mean of frames 4s..4s+3 = 4s + 1.5, times the scale
    for (const w of r.windows) {
      const scale = w.health?.[0].version === '1.1.0' ? 2 : 1;
      expect(w.health?.[0].value).toBeCloseTo(scale * (w.start / 1000 + 1.5), 3);
    }
    expect(svc.stats()).toMatchObject({ swaps: 1, windowsScored: n, scoreErrors: 0, rollbacks: 0 });
    expect(svc.stats().maxBatchSeen).toBeGreaterThan(1);
    expect(svc.models()[0]).toMatchObject({ version: '1.1.0', probationLeft: 0 });
    const state = JSON.parse(readFileSync(join(sb.install, 'registry-state.json'), 'utf8')) as { active: Record<string, string> };
    expect(state.active.pm).toBe('1.1.0');
    await svc.stop();
  });

  // Regression (audit of issue 5): the new version's manifest has another anomaly threshold; the
  // tracker used to restart its n-of-m state, so the live alarm of a still faulty pump was cleared
  // and raised again around the swap.
  it('a hot swap to a version with another threshold keeps a live alarm while the scores stay over both; a recovery clears it', async () => {
    const svc = service(sb, [pumpAsset()]);
    await svc.start();
    const r = rig(pumpAsset(), svc);
    await r.windowsOf([9, 9, 9]); // threshold 5, n=2 of m=3: raised by the 2nd window
    expect(r.alarms.map((a) => [a.action, a.version])).toEqual([['raise', '1.0.0']]);
    expect(await svc.install(pmVersion(sb, '2.0.0', { threshold: 6, where: 'staging' }))).toMatchObject({ ok: true, mode: 'active' });
    await r.windowsOf([9, 9, 9, 1, 1, 1, 1]);
    const seen = r.windows.map((w) => [w.health?.[0].version, w.health?.[0].value, w.health?.[0].state]);
    expect(seen).toEqual([
      ['1.0.0', 9, 'warning'], ['1.0.0', 9, 'alarm'],
      ['2.0.0', 9, 'alarm'], ['2.0.0', 9, 'alarm'], ['2.0.0', 9, 'alarm'], ['2.0.0', 9, 'alarm'],
      ['2.0.0', 1, 'alarm'], ['2.0.0', 1, 'normal'], ['2.0.0', 1, 'normal'],
    ]);
    // one raise, one clear: no clear/raise pair around the swap
    expect(r.alarms.map((a) => [a.action, a.version])).toEqual([['raise', '1.0.0'], ['clear', '2.0.0']]);
    expect(svc.stats()).toMatchObject({ swaps: 1, scoreErrors: 0 });
    await svc.stop();
  });

  it('rolls back automatically when the new version emits NaN, re-scoring the window on the previous one', async () => {
    const svc = service(sb, [pumpAsset()]);
    await svc.start();
    const r = rig(pumpAsset(), svc);
    // sqrt(window mean): fine at the all-zero probe, NaN once the mean is negative
    expect(await svc.install(pmVersion(sb, '2.0.0', { sqrt: true, where: 'staging' }))).toMatchObject({ ok: true });
    await r.windowsOf([4, -1, 1, 0]);
    expect(r.windows.map((w) => [w.health?.[0].version, w.health?.[0].value])).toEqual([['2.0.0', 2], ['1.0.0', -1], ['1.0.0', 1]]);
    expect(svc.stats()).toMatchObject({ rollbacks: 1, badOutputs: 1, scoreErrors: 0, windowsScored: 3 });
    expect(svc.models()[0]).toMatchObject({ version: '1.0.0' });
    const state = JSON.parse(readFileSync(join(sb.install, 'registry-state.json'), 'utf8')) as { active: Record<string, string>; rejected: Record<string, Record<string, string>> };
    expect(state.active.pm).toBe('1.0.0');
    expect(state.rejected.pm['2.0.0']).toBe("output 'score' is NaN");
    // the rejected version is not chosen again after a restart, although it is the newest on disk
    await svc.stop();
    const again = service(sb, [pumpAsset()]);
    await again.start();
    expect(again.models()[0].version).toBe('1.0.0');
    await again.stop();
  });

  it('rolls back on an output outside the manifest range', async () => {
    const svc = service(sb, [pumpAsset()]);
    await svc.start();
    const r = rig(pumpAsset(), svc);
    await svc.install(pmVersion(sb, '3.0.0', { scale: 100, range: [0, 10], where: 'staging' }));
    r.frames(0, 6, () => 1);
    await r.idle();
    expect(r.windows.map((w) => [w.health?.[0].version, w.health?.[0].value])).toEqual([['1.0.0', 1]]);
    expect(svc.stats()).toMatchObject({ rollbacks: 1, badOutputs: 1 });
    await svc.stop();
  });

  it('after probation the old session is released, and a NaN is only an error (no version to fall back to)', async () => {
    const svc = service(sb, [pumpAsset()], { probationWindows: 1 });
    await svc.start();
    const r = rig(pumpAsset(), svc);
    await svc.install(pmVersion(sb, '2.0.0', { sqrt: true, where: 'staging' }));
    await r.windowsOf([4, -1]);
    expect(svc.models()[0]).toMatchObject({ version: '2.0.0', probationLeft: 0, previous: undefined });
    await r.windowsOf([0]);
    expect(r.windows.map((w) => w.health?.[0].version)).toEqual(['2.0.0', undefined]);
    expect(svc.stats()).toMatchObject({ rollbacks: 0, badOutputs: 1, scoreErrors: 1 });
    expect(r.p.stats().scoreErrors).toBe(1);
    await svc.stop();
  });

  it('shadow: a candidate scores beside the active version, disagreements are counted, promote() makes it active', async () => {
    const svc = service(sb, [pumpAsset()], { shadowTolerance: 0.1 });
    await svc.start();
    const r = rig(pumpAsset(), svc);
    expect(await svc.install(pmVersion(sb, '1.1.0', { scale: 1.05, where: 'staging' }), { shadow: true })).toMatchObject({ ok: true, mode: 'shadow' });
    // 2 vs 2.1: within 10%, both under the threshold 5; 4.9 vs 5.145: on both sides of it
    await r.windowsOf([2, 4.9, 1]);
    expect(r.windows.map((w) => w.health?.[0])).toEqual([
      expect.objectContaining({ version: '1.0.0', value: 2, shadow: { model: 'pm', version: '1.1.0', value: expect.closeTo(2.1, 5), disagree: false } }),
      expect.objectContaining({ version: '1.0.0', value: expect.closeTo(4.9, 5), shadow: expect.objectContaining({ version: '1.1.0', disagree: true }) }),
    ]);
    expect(svc.stats()).toMatchObject({ shadowRuns: 2, shadowDisagreements: 1, candidates: 1 });
    expect(svc.models()[0]).toMatchObject({ version: '1.0.0', candidate: '1.1.0', shadow: { runs: 2, disagreements: 1, faults: 0 } });
    expect(await svc.promote('pm')).toBe(true);
    await r.windowsOf([0]); // closes the window of 1s, scored after the promotion
    expect(r.windows[2].health?.[0]).toMatchObject({ version: '1.1.0', value: expect.closeTo(1.05, 5) });
    expect(r.windows[2].health?.[0].shadow).toBeUndefined();
    expect(svc.stats()).toMatchObject({ promotions: 1, swaps: 1, candidates: 0 });
    await svc.stop();
  });

  it('shadow binding: another model id runs beside the bound one', async () => {
    const cfg = pumpAsset({ models: [{ id: 'pm', role: 'anomaly', input: 'frames', shadow: 'pm2' }] });
    const { framesManifest, meanModel, writeModel } = await import('./fixtures');
    const bytes = meanModel(4, 2, { scale: 3 });
    writeModel(join(sb.shipped, 'pm2'), bytes, framesManifest({ id: 'pm2', version: '0.1.0', bytes }, 4, ['a', 'b']), sb.key);
    const svc = service(sb, [cfg]);
    await svc.start();
    const r = rig(cfg, svc);
    r.frames(0, 6, () => 1);
    await r.idle();
    expect(r.windows[0].health?.[0]).toMatchObject({ model: 'pm', value: 1, shadow: { model: 'pm2', version: '0.1.0', value: 3, disagree: true } });
    await svc.stop();
  });

  it('rescan picks up a newer version dropped into the install root and swaps to it', async () => {
    const svc = service(sb, [pumpAsset()]);
    await svc.start();
    expect(await svc.rescan()).toEqual([]);
    const { cpSync } = await import('node:fs');
    cpSync(pmVersion(sb, '1.2.0', { scale: 2, where: 'staging' }), join(sb.install, 'pm', 'versions', '1.2.0'), { recursive: true });
    expect(await svc.rescan()).toEqual([{ ok: true, id: 'pm', version: '1.2.0', mode: 'active' }]);
    expect(svc.models()[0].version).toBe('1.2.0');
    expect(existsSync(join(sb.install, 'registry-state.json'))).toBe(true);
    await svc.stop();
  });
});
