import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { parseConfig } from '../../src/config/load';
import { uplinkConfig } from '../../src/uplink';
import { makeOutbox, telemetry } from '../outbox/helpers';
import { captureLogger, makeUplink, startBroker, startIngest, waitFor } from './helpers';

const demo = () => YAML.parse(readFileSync(join(__dirname, '../../config/demo.yaml'), 'utf8')) as { uplink: Record<string, unknown> };

describe('uplink qos 0 needs allowLoss: true', () => {
  it('refuses qos 0 alone, naming uplink.allowLoss and the fix', () => {
    const doc = demo();
    doc.uplink.qos = 0;
    let err: unknown;
    try {
      parseConfig(YAML.stringify(doc), 'demo.yaml', {});
    } catch (e) {
      err = e;
    }
    expect(String(err)).toMatch(/uplink\.allowLoss: qos 0 acks records in the outbox without a PUBACK.*use qos: 1, or set allowLoss: true/);
    expect(uplinkConfig.safeParse({ url: 'mqtt://h', qos: 0 }).error?.issues[0]?.path).toEqual(['allowLoss']);
  });

  it('accepts qos 0 with allowLoss: true (and qos 1 without it)', () => {
    const doc = demo();
    doc.uplink.qos = 0;
    doc.uplink.allowLoss = true;
    expect(parseConfig(YAML.stringify(doc), 'demo.yaml', {}).uplink).toMatchObject({ qos: 0, allowLoss: true });
    expect(uplinkConfig.parse({ url: 'mqtt://h' })).toMatchObject({ qos: 1, allowLoss: false });
  });

  it('warns at start when running with qos 0, and still sends', async () => {
    const broker = await startBroker();
    const ingest = await startIngest(broker.url);
    const ob = makeOutbox();
    await ob.start();
    const log = captureLogger();
    const up = makeUplink(ob, broker.url, { qos: 0, allowLoss: true }, undefined, 'gw1', log.logger);
    try {
      await up.start();
      expect(log.lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['uplink: qos 0 (allowLoss: true): records are acked without a PUBACK and those in flight when the link breaks are lost']);
      const ids = ob.append(telemetry(10));
      await waitFor(() => ingest.store.missing(ids).length === 0, 5000, 'records at qos 0');
      const quiet = captureLogger();
      const up1 = makeUplink(ob, broker.url, {}, undefined, 'gw2', quiet.logger);
      await up1.start();
      await up1.stop();
      expect(quiet.lines.filter((l) => /qos 0/.test(l.msg))).toEqual([]);
    } finally {
      await up.stop();
      await ob.stop();
      await ingest.stop();
      await broker.stop();
    }
  });
});
