/** @jest-environment ./test/ml/ort-environment.js */
import pino from 'pino';
import { Gateway } from '../../src/gateway';
import { sandbox, type Sandbox } from '../models/fixtures';
import { pmVersion } from '../models/service-helpers';
import { modelGatewayConfig, windowFeeder } from './model-gateway';

/**
 * Shadow mode through the gateway: a candidate runs beside the active version; its disagreement
 * is logged and exported in the gateway's metrics, and a candidate emitting NaN is a shadow fault
 * (counted, logged) that never touches the active version's scores.
 */
describe('shadow mode: disagreement and faults in the log and the metrics', () => {
  let sb: Sandbox;
  beforeEach(() => sb = sandbox());
  afterEach(() => sb.cleanup());

  it('a NaN candidate counts as a shadow fault; a disagreement is logged and exported', async () => {
    pmVersion(sb, '1.0.0'); // score = window mean
    const candidate = pmVersion(sb, '1.1.0', { sqrt: true, where: 'staging' }); // sqrt(mean): NaN once the mean is negative
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) });
    const gw = new Gateway(await modelGatewayConfig(sb, ['pump'], 'models: { rescanIntervalMs: 0, inferenceThread: main, shadowTolerance: 0.1 }\n'), { logger, statusWriter: () => undefined });
    await gw.start();
    try {
      expect(await gw.models!.install(candidate, { shadow: true })).toMatchObject({ ok: true, mode: 'shadow', version: '1.1.0' });
      const windows = windowFeeder(gw);
      const seen: unknown[] = [];
      gw.assets[0].on('window', (w) => seen.push(w.health?.[0]));
      // 4 vs sqrt(4) = 2: disagree; -1 vs NaN: a shadow fault, the active score stands; 1 vs 1: agree
      await windows('pump', [4, -1, 1, 0]);
      expect(seen).toEqual([
        expect.objectContaining({ version: '1.0.0', value: 4, shadow: { model: 'pm', version: '1.1.0', value: 2, disagree: true } }),
        expect.objectContaining({ version: '1.0.0', value: -1 }),
        expect.objectContaining({ version: '1.0.0', value: 1, shadow: { model: 'pm', version: '1.1.0', value: 1, disagree: false } }),
      ]);
      expect((seen[1] as { shadow?: unknown }).shadow).toBeUndefined();
      expect(gw.models!.stats()).toMatchObject({ shadowRuns: 2, shadowDisagreements: 1, shadowFaults: 1, badOutputs: 0, rollbacks: 0, scoreErrors: 0 });
      expect(gw.models!.models()[0]).toMatchObject({ version: '1.0.0', candidate: '1.1.0', shadow: { runs: 2, disagreements: 1, faults: 1 } });

      const warned = lines.filter((l) => l.level === 40).map((l) => l.msg);
      expect(warned).toContain('shadow pm@1.1.0 disagrees with pm@1.0.0 on asset pump window 1970-01-01T00:00:00.000Z: 2 vs 4');
      expect(warned).toContain("shadow pm@1.1.0 beside pm@1.0.0 (binding pm, asset pump): output 'score' is NaN");

      const text = await gw.metrics.text();
      const stat = (name: string) => new RegExp(`^pdm_module_stat\\{module="models",stat="${name}",gateway="gw-t",site="s1"\\} (\\S+)$`, 'm').exec(text)?.[1];
      expect([stat('shadowDisagreements'), stat('shadowFaults'), stat('shadowRuns')]).toEqual(['1', '1', '2']);
    } finally {
      await gw.stop();
    }
  }, 60000);
});
