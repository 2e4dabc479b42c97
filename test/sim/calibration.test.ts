import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { calibratePump, calibrateTurbofan, valveShifts } from '../../src/sim/calibrate';
import { PUMP_CALIBRATION, PUMP_CHANNELS, PRESSURE_STEP_BAR, PRESSURE_LEVEL_BAR, CURRENT_VOLTAGE_CORRELATION, VALVE_FULL_SEVERITY } from '../../src/sim/pump-calibration';
import { FAN_CALIBRATION, FAN_SENSORS } from '../../src/sim/turbofan-calibration';
import { describeWithData } from '../helpers/shared-data';

/** |a - b| within 1 % of b (or an absolute floor for values near 0). */
const near = (a: number, b: number, floor = 1e-4) => expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.max(0.01 * Math.abs(b), floor));

describeWithData('skab', 'pump constants match SKAB (recomputed from the data)', (dir) => {
  const cal = calibratePump(readFileSync(join(dir, 'anomaly-free', 'anomaly-free.csv'), 'utf8'));

  it.each(PUMP_CHANNELS.map((c) => [c]))('%s', (c) => {
    const got = cal.channels[c];
    const want = PUMP_CALIBRATION[c];
    near(want.mean, got.mean);
    near(want.fastStd, got.fastStd);
    near(want.slowStd, got.slowStd);
    expect(Math.abs(want.fastAr1 - got.fastAr1)).toBeLessThan(0.01);
    // Channels on the shared slow factor are those whose slow part follows accelerometer 1's (|r| > 0.5).
    expect(want.slowSign).toBe(Math.abs(got.slowCorrAccel1) > 0.5 ? Math.sign(got.slowCorrAccel1) : 0);
  });

  it('current-voltage noise correlation and the pressure transducer levels', () => {
    expect(Math.abs(cal.currentVoltageCorr - CURRENT_VOLTAGE_CORRELATION)).toBeLessThan(0.01);
    expect(cal.pressureLevels).toContain(PRESSURE_LEVEL_BAR);
    for (let i = 1; i < cal.pressureLevels.length; i++) near(cal.pressureLevels[i]! - cal.pressureLevels[i - 1]!, PRESSURE_STEP_BAR);
  });

  it('the full-severity valve closure equals the worst SKAB valve run (flow -22 %), and SKAB flow always drops', () => {
    const files = ['valve1', 'valve2'].flatMap((v) => readdirSync(join(dir, v)).map((f) => readFileSync(join(dir, v, f), 'utf8')));
    const shifts = valveShifts(files);
    expect(Math.abs(-shifts.VolumeFlowRateRMS.min - VALVE_FULL_SEVERITY.flowDrop)).toBeLessThan(0.01);
    expect(shifts.VolumeFlowRateRMS.max).toBeLessThan(0);
    expect(shifts.Current.median).toBeLessThan(0);
  });
});

describeWithData('cmapss', 'turbofan constants match C-MAPSS FD001 (recomputed from the data)', (dir) => {
  const cal = calibrateTurbofan(readFileSync(join(dir, 'train_FD001.txt'), 'utf8'));

  it('has the FD001 life lengths', () => {
    expect(cal).toMatchObject({ lifeMin: 128, lifeMax: 362 });
    expect(cal.lifeMean).toBeCloseTo(206.31, 2);
  });

  it.each(FAN_SENSORS.map((s) => [s]))('%s', (s) => {
    const got = cal.sensors[s];
    const want = FAN_CALIBRATION[s];
    near(want.healthy, got.healthy);
    near(want.shift, got.shift);
    near(want.noise, got.noise);
    near(want.unitStd, got.unitStd);
    expect(want.k).toBe(got.k);
  });
});
