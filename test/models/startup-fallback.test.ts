/** @jest-environment ./test/ml/ort-environment.js */
import { cpSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { sandbox, type Sandbox } from './fixtures';
import { pmVersion, pumpAsset, rig, service } from './service-helpers';

describe('startup with a broken newer version on disk', () => {
  let sb: Sandbox;
  beforeEach(() => sb = sandbox());
  afterEach(() => sb.cleanup());

  it('a truncated newer version beside a good older one: start loads the older, counts rejected_sha256 and logs why', async () => {
    pmVersion(sb, '1.0.0');
    const newer = join(sb.install, 'pm', 'versions', '1.1.0');
    cpSync(pmVersion(sb, '1.1.0', { scale: 2, where: 'staging' }), newer, { recursive: true });
    truncateSync(join(newer, 'model.onnx'), 40);
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) });
    const svc = service(sb, [pumpAsset()], {}, logger);
    await svc.start();
    try {
      expect(svc.models()[0]).toMatchObject({ id: 'pm', version: '1.0.0' });
      expect(svc.health()).toEqual({ healthy: true, state: 'up' });
      expect(svc.stats()).toMatchObject({ rejected_sha256: 1, rejected: 1, loaded: 1 });
      const errors = lines.filter((l) => l.level === 50).map((l) => l.msg);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^model pm@1\.1\.0 refused \(sha256\): model pm@1\.1\.0 \(.*\/pm\/versions\/1\.1\.0\): model\.onnx is truncated or altered: its sha256 [0-9a-f]{12}\.\.\. \(40 bytes\) differs from the manifest's [0-9a-f]{12}\.\.\.$/);
      expect(lines.some((l) => l.msg === 'model pm@1.0.0 loaded')).toBe(true);
      // and the older version scores
      const r = rig(pumpAsset(), svc);
      r.frames(0, 5, () => 3);
      await r.idle();
      expect(r.windows.map((w) => [w.health?.[0].version, w.health?.[0].value])).toEqual([['1.0.0', 3]]);
    } finally {
      await svc.stop();
    }
  });
});
