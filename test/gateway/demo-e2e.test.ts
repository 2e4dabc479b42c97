/** @jest-environment ./test/ml/ort-environment.js */
import mqtt from 'mqtt';
import { Gateway } from '../../src/gateway';
import { silentLogger } from '../../src/observability/logger';
import { demoConfig } from './demo-config';

interface SummaryMessage {
  schema: number;
  gateway: string;
  site: string;
  class: string;
  asset: string;
  records: { id: string; ts: number; payload: { asset: string; features: Record<string, Record<string, number>>; quality: string; frames: number } }[];
}

describe('demo end to end: simulator -> OPC-UA + Modbus -> windows -> outbox -> MQTT', () => {
  it('publishes per-window summaries with the demo assets and plausible values; /healthz and /metrics answer', async () => {
    const cfg = await demoConfig(3000);
    const status: string[] = [];
    const gw = new Gateway(cfg, { logger: silentLogger(), statusWriter: (t) => status.push(t) });
    await gw.start();
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${cfg.ports.mqtt}`, { protocolVersion: 4, clientId: 'e2e-cloud' });
    const got = new Map<string, SummaryMessage>();
    sub.on('message', (_topic, payload) => {
      const m = JSON.parse(payload.toString()) as SummaryMessage;
      if (m.class === 'summary') got.set(m.asset, m);
    });
    await sub.subscribeAsync('pdm/v1/#', { qos: 1 });
    const deadline = Date.now() + 45000;
    while (got.size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));

    const health = await fetch(`http://127.0.0.1:${cfg.ports.http}/healthz`);
    const healthBody = (await health.json()) as { status: string; unhealthy: unknown[] };
    const metrics = await (await fetch(`http://127.0.0.1:${cfg.ports.http}/metrics`)).text();
    await sub.endAsync();
    await gw.stop();

    expect([...got.keys()].sort()).toEqual(['pump-1', 'turbofan-1']);
    const pump = got.get('pump-1')!;
    expect(pump.gateway).toBe('demo-gw');
    expect(pump.site).toBe('demo-site');
    const pf = pump.records[0]!.payload.features;
    // SKAB-shaped pump: motor current around 2-3.5 A, vibration RMS around 0.2-0.3 g, temperature 60-100 C.
    expect(pf.Current!.mean).toBeGreaterThan(1);
    expect(pf.Current!.mean).toBeLessThan(4);
    expect(pf.Accelerometer1RMS!.mean).toBeGreaterThan(0.1);
    expect(pf.Accelerometer1RMS!.mean).toBeLessThan(0.5);
    expect(Object.keys(pf).sort()).toEqual(['Accelerometer1RMS', 'Accelerometer2RMS', 'Current', 'Pressure', 'Temperature', 'Thermocouple', 'Voltage', 'VolumeFlowRateRMS']);
    const fan = got.get('turbofan-1')!.records[0]!.payload.features;
    // C-MAPSS FD001 levels: s2 (LPC outlet temperature) ~642 R, s11 (HPC static pressure) ~47.5 psia.
    expect(fan.s2!.mean).toBeGreaterThan(640);
    expect(fan.s2!.mean).toBeLessThan(646);
    expect(fan.s11!.mean).toBeGreaterThan(46.5);
    expect(fan.s11!.mean).toBeLessThan(48.8);
    expect(Object.keys(fan)).toHaveLength(14);

    expect(health.status).toBe(200);
    expect(healthBody.status).toBe('ok');
    expect(metrics).toMatch(/pdm_source_samples_total\{[^}]*module="pump1"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/pdm_source_samples_total\{[^}]*module="fan1"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/pdm_uplink_records_sent_total\{[^}]*\} [1-9]/);
    expect(metrics).toContain('pdm_process_resident_memory_bytes');
    // The live status names both assets with their sample rate and bad count.
    const last = status[status.length - 1] ?? '';
    expect(last).toMatch(/pump-1 +\d+\.\d smp\/s +bad +\d+/);
    expect(last).toMatch(/turbofan-1 +\d+\.\d smp\/s/);
    expect(last).toMatch(/uplink up sent=\d+/);
  }, 90000);
});
