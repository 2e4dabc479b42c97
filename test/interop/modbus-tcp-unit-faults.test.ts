import { join } from 'node:path';
import { modbusSourceConfig } from '../../src/sources/modbus/config';
import { MODBUS_STATUS } from '../../src/sources/modbus/errors';
import { ModbusSource } from '../../src/sources/modbus/modbus-source';
import { silentLogger } from '../../src/observability/logger';
import { ChildPeer } from '../helpers/child-peer';
import { requireCommand } from '../helpers/peers';
import { freePort } from '../helpers/ports';
import { SourceRecorder } from '../helpers/source-events';

const PEER = join(__dirname, 'peers/modbus_faulty.py');
const PY = '/usr/bin/python3';

/**
 * A Modbus TCP gateway with two devices behind it, one of which answers garbage. The TCP stream is
 * rebuilt after each bad frame (it may be out of step), but a unit that keeps misbehaving while
 * another answers must not turn that into a reconnect storm against the gateway.
 */
const FAULTS = [
  { mode: 'garbage', text: 'incomplete or garbage response \\(\\d+ bytes, no valid MBAP frame\\)', counter: 'garbageBytes' },
  { mode: 'wrongunit', text: 'bad response frame: Unexpected data error, expected address 2 got 3', counter: 'unit2_frameErrors' },
];

describe('Modbus TCP gateway: one unit misbehaves, the other is fine', () => {
  let peer: ChildPeer;
  let src: ModbusSource | undefined;
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    await peer.kill();
  });

  for (const f of FAULTS) {
    it(`${f.mode}: the bad unit is reported per unit and counted, the good unit keeps its values, reconnects are paced by the backoff`, async () => {
      requireCommand(PY, 'python3');
      const port = await freePort();
      peer = new ChildPeer(PY, [PEER, '--tcp', String(port), '--unit', '1=ok', '--unit', `2=${f.mode}`]);
      await peer.start();
      const cfg = modbusSourceConfig.parse({
        id: 'gw',
        type: 'modbus',
        host: '127.0.0.1',
        port,
        pollIntervalMs: 100,
        timeoutMs: 300,
        retries: 0,
        reconnect: { initialMs: 400, maxMs: 2000 },
        registers: [
          { name: 'u1', unitId: 1, address: 0 },
          { name: 'u2', unitId: 2, address: 0 },
        ],
      });
      src = new ModbusSource(cfg, silentLogger());
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('u1 good and u2 bad', () => rec.latest('gw/u1')?.value === 1000 && rec.latest('gw/u2')?.quality === 'bad', 10_000);
      expect(rec.latest('gw/u2')?.status).toEqual({
        code: MODBUS_STATUS.frame,
        text: expect.stringMatching(new RegExp(`^tcp://127.0.0.1:${port} unit 2 holding 0\\+1: ${f.text}$`)),
      });

      const before = { stats: src.stats(), conns: peer.lines.filter((l) => l === 'CONN').length, mark: rec.samples.length };
      const windowMs = 4000;
      await new Promise((r) => setTimeout(r, windowMs));
      const stats = src.stats();
      const conns = peer.lines.filter((l) => l === 'CONN').length - before.conns;
      const reconnects = stats.reconnects - before.stats.reconnects;
      // each reconnect waits a backoff step (>= initialMs / 2 = 200 ms): at most windowMs / 200
      expect(reconnects).toBeGreaterThanOrEqual(1);
      expect(reconnects).toBeLessThanOrEqual(windowMs / 200);
      expect(conns).toBeLessThanOrEqual(windowMs / 200 + 1);
      expect(stats.unit2_frameErrors - before.stats.unit2_frameErrors).toBeGreaterThanOrEqual(1);
      expect(stats[f.counter]).toBeGreaterThan(0);
      expect(stats.unit1_frameErrors ?? 0).toBe(0);
      // the good unit is still read, between the reconnects
      expect(rec.since(before.mark).filter((s) => s.tag === 'gw/u1' && s.quality === 'good' && s.value === 1000).length).toBeGreaterThanOrEqual(3);

      process.kill(peer.pid!, 'SIGUSR1');
      const healed = rec.samples.length;
      await rec.until('u2 good again', () => rec.since(healed).some((s) => s.tag === 'gw/u2' && s.value === 2000), 10_000);
    });
  }
});
