/** @jest-environment ./test/ml/ort-environment.js */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { WindowResult } from '../../src/assets/types';
import type { AlarmEvent, HealthResult } from '../../src/health/types';
import { decodeBody } from '../../src/outbox/body';
import type { OutboxBlock } from '../../src/outbox/types';
import { Gateway } from '../../src/gateway';
import { baselinePath } from '../../src/models/baseline';
import { silentLogger } from '../../src/observability/logger';
import { Plant } from '../../src/sim/plant';
import type { SignalName } from '../../src/sim/signals';
import { demoConfig } from './demo-config';

const PUMP = ['Accelerometer1RMS', 'Accelerometer2RMS', 'Current', 'Pressure', 'Temperature', 'Thermocouple', 'Voltage', 'VolumeFlowRateRMS'];

const waitFor = async (what: string, cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/**
 * The whole product on the simulator: a cavitation injected into the running pump raises the
 * anomaly alarm through the shipped SKAB model within the configured n-of-m persistence, and the
 * alarm clears after the fault ends. The pump's baseline (normally its first 400 frames, 100 s
 * real at the demo's time scale) is written beforehand from the same simulator model run offline,
 * as a gateway restarting with a kept baseline would find it.
 */
describe('pump fault -> anomaly alarm -> recovery, end to end on the simulator', () => {
  it('raises within the persistence after the fault starts and clears after recovery', async () => {
    const cfg = await demoConfig();
    cfg.config.simulator.faults = [];
    // No uplink: the results stay in the outbox, where this test reads them.
    cfg.config.uplink = undefined;
    const plant = new Plant(cfg.config.simulator);
    const cols = PUMP.map(() => [] as number[]);
    for (let s = 0; s < 400; s++) {
      const pts = plant.step(1, 1_000_000 + s * 1000);
      PUMP.forEach((ch, j) => cols[j]!.push(pts.get(`Pump1.${ch}` as SignalName)!.value));
    }
    const stat = (xs: number[]) => {
      const m = xs.reduce((p, x) => p + x, 0) / xs.length;
      return [m, Math.sqrt(xs.reduce((p, x) => p + (x - m) ** 2, 0) / xs.length)] as const;
    };
    const file = baselinePath(cfg.installDir, 'pump-1', 'skab-anomaly');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ asset: 'pump-1', model: 'skab-anomaly', channels: PUMP, frames: 400, mean: cols.map((c) => stat(c)[0]), std: cols.map((c) => stat(c)[1]), from: 0, to: 0 }));

    const gw = new Gateway(cfg, { logger: silentLogger(), statusWriter: () => undefined });
    const pump = gw.assets.find((a) => a.id === 'pump-1')!;
    const windows: WindowResult[] = [];
    const alarms: AlarmEvent[] = [];
    pump.on('window', (w) => windows.push(w));
    pump.on('alarm', (a) => alarms.push(a));
    await gw.start();
    try {
      const scored = () => windows.filter((w) => w.health?.some((h) => h.role === 'anomaly'));
      await waitFor('4 scored healthy windows', () => scored().length >= 4, 60000);
      // Healthy pump: no false alarm.
      expect(scored().map((w) => w.health![0]!.state)).toEqual(scored().map(() => 'normal'));
      expect(alarms).toEqual([]);

      const sim = gw.simulator!.running!;
      const faultAt = Date.now();
      const before = windows.length;
      sim.injectFault({ fault: 'cavitation', severity: 0.8 });
      await waitFor('the alarm', () => alarms.some((a) => a.action === 'raise'), 60000);
      const raise = alarms.find((a) => a.action === 'raise')!;
      expect(raise.asset).toBe('pump-1');
      expect(raise.model).toBe('skab-anomaly');
      expect(raise.condition).toBe('anomaly');
      expect(raise.ts).toBeGreaterThan(faultAt - 1000);
      // Persistence n=2 of m=3: the alarm comes with the 2nd anomalous window, and windows slide by
      // 10 of 30 frames, so at most 3 windows still hold pre-fault frames: raised by the 5th window.
      const until = windows.findIndex((w) => w.health?.[0]?.state === 'alarm');
      expect(until).toBeGreaterThanOrEqual(before); // not -1, nor an alarm state before the fault
      expect(until - before).toBeLessThanOrEqual(5);
      expect(windows.slice(before, until).filter((w) => w.health?.[0]?.state === 'alarm')).toEqual([]);

      sim.clearFaults();
      await waitFor('the alarm to clear', () => alarms.some((a) => a.action === 'clear'), 90000);
      expect(alarms.map((a) => a.action)).toEqual(['raise', 'clear']);

      // What reaches the outbox (and from there the cloud): the alarm records, and summaries whose
      // health names the model, its version and the window's quality.
      const leased: OutboxBlock[] = [];
      for (let got = gw.outbox.lease(1000); got.length > 0; got = gw.outbox.lease(1000)) leased.push(...got);
      const records = (cls: string, asset: string) => leased.filter((b) => b.cls === cls && b.asset === asset).flatMap((b) => decodeBody(b.body)).map((r) => r.payload);
      const alarmRecords = records('alarm', 'pump-1') as AlarmEvent[];
      expect(alarmRecords.map((a) => [a.action, a.key, a.model, a.condition])).toEqual([
        ['raise', 'pump-1/skab-anomaly/anomaly', 'skab-anomaly', 'anomaly'], ['clear', 'pump-1/skab-anomaly/anomaly', 'skab-anomaly', 'anomaly'],
      ]);
      expect(alarmRecords[0]).toEqual(raise);
      const version = raise.version;
      expect(version).toMatch(/^\d+\.\d+\.\d+/);
      const summaries = records('summary', 'pump-1') as WindowResult[];
      expect(summaries.length).toBeGreaterThanOrEqual(windows.length);
      const scoredSummaries = summaries.filter((w) => w.health !== undefined);
      expect(scoredSummaries.length).toBeGreaterThanOrEqual(scored().length);
      const health = scoredSummaries.map((w) => w.health![0] as HealthResult);
      expect(new Set(health.map((h) => `${h.model}@${h.version}/${h.role}`))).toEqual(new Set([`skab-anomaly@${version}/anomaly`]));
      for (const h of health) expect(['good', 'degraded']).toContain(h.quality);
      expect(health.map((h) => h.state)).toContain('alarm');
      expect(scoredSummaries[0].units).toEqual({ Accelerometer1RMS: 'g', Accelerometer2RMS: 'g', Current: 'A', Pressure: 'bar', Temperature: 'degC', Thermocouple: 'degC', Voltage: 'V', VolumeFlowRateRMS: 'l/min' });
    } finally {
      await gw.stop();
    }
  }, 240000);
});
