import { NO_PUMP_FAULTS, PumpModel, operatingPoint, type PumpFaultLevels, type PumpReading } from '../../src/sim/pump-model';
import { PUMP_CALIBRATION, PUMP_CHANNELS, PRESSURE_STEP_BAR, PRESSURE_LEVEL_BAR, type PumpChannel } from '../../src/sim/pump-calibration';
import { correlation, fastPart, lag1, mean, std } from './stats';

function run(seed: number, seconds: number, faults: (t: number) => PumpFaultLevels = () => NO_PUMP_FAULTS, dt = 1): PumpReading[] {
  const m = new PumpModel(seed);
  const out: PumpReading[] = [];
  for (let t = 0; t < seconds; t += dt) out.push(m.step(dt, faults(t)));
  return out;
}
const channel = (rs: readonly PumpReading[], c: PumpChannel) => rs.map((r) => r[c]);

describe('pump model (SKAB-shaped)', () => {
  const healthy = run(7, 20_000);

  it('is deterministic for a seed and differs between seeds', () => {
    expect(run(7, 50)).toEqual(healthy.slice(0, 50));
    expect(run(8, 50)[10]!.Current).not.toBe(healthy[10]!.Current);
  });

  it.each(PUMP_CHANNELS.map((c) => [c]))('%s: mean, fast noise and its autocorrelation match the SKAB calibration', (c) => {
    const cal = PUMP_CALIBRATION[c];
    const xs = channel(healthy, c);
    // The slow drift has time constants of 0.5..2 h, so over 5.5 h the mean wanders by a few slow stds.
    expect(Math.abs(mean(xs) - cal.mean)).toBeLessThan(4 * cal.slowStd + 0.1 * cal.fastStd);
    const fast = fastPart(xs);
    expect(std(fast)).toBeGreaterThan(0.85 * cal.fastStd);
    expect(std(fast)).toBeLessThan(1.15 * cal.fastStd);
    if (c !== 'Pressure') expect(Math.abs(lag1(fast) - cal.fastAr1)).toBeLessThan(0.1);
  });

  it('reports pressure on the SKAB transducer levels', () => {
    for (const p of channel(healthy, 'Pressure').slice(0, 500)) {
      const k = (p - PRESSURE_LEVEL_BAR) / PRESSURE_STEP_BAR;
      expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-9);
    }
  });

  it('couples current noise to voltage noise and moves the slow channels together, as on the bench', () => {
    const r = correlation(fastPart(channel(healthy, 'Current')), fastPart(channel(healthy, 'Voltage')));
    expect(r).toBeGreaterThan(0.35);
    expect(r).toBeLessThan(0.6);
    const long = run(7, 200_000); // the slow factor needs many time constants to show its correlation
    const slow = (c: PumpChannel) => {
      const xs = channel(long, c);
      const f = fastPart(xs);
      return f.map((v, i) => xs[i + 60]! - v);
    };
    expect(correlation(slow('Thermocouple'), slow('VolumeFlowRateRMS'))).toBeGreaterThan(0.5);
    expect(correlation(slow('Accelerometer1RMS'), slow('Accelerometer2RMS'))).toBeLessThan(-0.5);
  });

  describe('faults (same seed with and without the fault: the difference is the fault alone)', () => {
    const seconds = 1800;
    const onset = 300;
    const base = run(11, seconds);
    const withFault = (f: keyof PumpFaultLevels, severity = 1) => run(11, seconds, (t) => (t >= onset ? { ...NO_PUMP_FAULTS, [f]: severity } : NO_PUMP_FAULTS));
    /** Relative change of a channel's mean over the last 10 minutes. */
    const change = (rs: PumpReading[], c: PumpChannel) => mean(channel(rs.slice(-600), c)) - mean(channel(base.slice(-600), c));
    const rel = (rs: PumpReading[], c: PumpChannel) => change(rs, c) / mean(channel(base.slice(-600), c));

    it('leaves everything unchanged before the onset', () => {
      const v = withFault('cavitation');
      expect(v.slice(0, onset)).toEqual(base.slice(0, onset));
    });

    it('cavitation: flow and pressure drop, vibration rises, current gets noisy', () => {
      const v = withFault('cavitation', 1);
      expect(rel(v, 'VolumeFlowRateRMS')).toBeLessThan(-0.08);
      expect(rel(v, 'VolumeFlowRateRMS')).toBeGreaterThan(-0.25);
      expect(change(v, 'Pressure')).toBeLessThan(-0.4);
      expect(rel(v, 'Accelerometer1RMS')).toBeGreaterThan(0.5);
      expect(rel(v, 'Accelerometer2RMS')).toBeGreaterThan(0.5);
      expect(std(fastPart(channel(v.slice(-900), 'Current'), 60))).toBeGreaterThan(1.8 * std(fastPart(channel(base.slice(-900), 'Current'), 60)));
      expect(Math.abs(change(v, 'Voltage'))).toBeLessThan(1e-9);
    });

    it('cavitation effects scale with severity', () => {
      expect(rel(withFault('cavitation', 0.3), 'VolumeFlowRateRMS')).toBeGreaterThan(rel(withFault('cavitation', 0.9), 'VolumeFlowRateRMS'));
    });

    it('bearing wear: vibration RMS grows over minutes and the temperature rises', () => {
      const v = withFault('bearing-wear', 1);
      const at = (t: number) => v[t]!.Accelerometer1RMS - base[t]!.Accelerometer1RMS;
      expect(at(onset + 60)).toBeLessThan(at(onset + 600));
      expect(rel(v, 'Accelerometer1RMS')).toBeGreaterThan(0.8);
      expect(rel(v, 'Accelerometer2RMS')).toBeGreaterThan(0.8);
      expect(change(v, 'Temperature')).toBeGreaterThan(3);
      expect(change(v, 'Temperature')).toBeLessThan(7);
      expect(Math.abs(rel(v, 'VolumeFlowRateRMS'))).toBeLessThan(1e-9);
    });

    it('valve closed: flow down (SKAB worst case about -22 %), pressure up, current down a few percent, flow noisier', () => {
      const v = withFault('valve-closed', 1);
      expect(rel(v, 'VolumeFlowRateRMS')).toBeLessThan(-0.18);
      expect(rel(v, 'VolumeFlowRateRMS')).toBeGreaterThan(-0.26);
      expect(change(v, 'Pressure')).toBeGreaterThan(0.15);
      expect(rel(v, 'Current')).toBeLessThan(-0.03);
      expect(rel(v, 'Current')).toBeGreaterThan(-0.1);
      expect(std(fastPart(channel(v.slice(-900), 'VolumeFlowRateRMS'), 60))).toBeGreaterThan(1.8 * std(fastPart(channel(base.slice(-900), 'VolumeFlowRateRMS'), 60)));
    });
  });

  it('operating point: nominal at no fault; throttling lowers flow and raises head', () => {
    expect(operatingPoint(0, 0)).toEqual({ q: 1, h: 1 });
    const v = operatingPoint(0, 1);
    expect(v.q).toBeCloseTo(0.78, 6);
    expect(v.h).toBeGreaterThan(1.05);
    const c = operatingPoint(1, 0);
    expect(c.q).toBeLessThan(0.9);
    expect(c.h).toBeLessThan(0.8);
  });
});
