import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ReplayPlayer, loadReplay, parseCmapss, parseSkab } from '../../src/sim/replay';
import { Plant } from '../../src/sim/plant';
import { simulatorConfig } from '../../src/sim/config';
import { FatalError } from '../../src/core/errors';
import { describeWithData } from '../helpers/shared-data';

/** Two C-MAPSS-format rows per unit: unit, cycle, 3 settings, s1..s21 (sN = 100 * unit + N + cycle / 10). */
function cmapssLine(unit: number, cycle: number): string {
  const sensors = Array.from({ length: 21 }, (_, i) => (100 * unit + i + 1 + cycle / 10).toFixed(2));
  return `${unit} ${cycle} -0.0007 -0.0004 100.0 ${sensors.join(' ')}  `;
}

const SKAB_HEADER = 'datetime;Accelerometer1RMS;Accelerometer2RMS;Current;Pressure;Temperature;Thermocouple;Voltage;Volume Flow RateRMS;anomaly;changepoint';
const skabLine = (i: number) => `2020-03-09 10:14:${String(i).padStart(2, '0')};0.02${i};0.04;1.3${i};0.054711;79.3;26.0;233.0;32.${i};0.0;0.0`;

describe('CSV replay parsing', () => {
  it('reads one C-MAPSS unit: the 14 informative sensors, the cycle and the cycles left', () => {
    const text = [cmapssLine(1, 1), cmapssLine(1, 2), cmapssLine(2, 1), cmapssLine(2, 2), cmapssLine(2, 3)].join('\n');
    const p = parseCmapss(text, 'x.txt', 2);
    expect(p.asset).toBe('Fan1');
    expect(p.rows).toHaveLength(3);
    expect(p.rows[0]).toMatchObject({ 'Fan1.Cycle': 1, 'Fan1.TrueRUL': 2, 'Fan1.s2': 202.1, 'Fan1.s21': 221.1 });
    expect(p.rows[2]).toMatchObject({ 'Fan1.Cycle': 3, 'Fan1.TrueRUL': 0, 'Fan1.s4': 204.3 });
    expect(Object.keys(p.rows[0]!)).toHaveLength(16);
    expect(parseCmapss(text, 'x.txt').rows).toHaveLength(2); // default: the first unit
  });

  it('counts and names bad C-MAPSS lines and keeps the good ones', () => {
    const text = [cmapssLine(1, 1), '1 2 3', cmapssLine(1, 3).replace('101', 'abc')].join('\n');
    const p = parseCmapss(text, 'bad.txt');
    expect(p.rows).toHaveLength(1);
    expect(p.skipped.map((e) => e.message)).toEqual(['bad.txt:2: expected 26 columns (C-MAPSS), got 3', 'bad.txt:3: column 6 is not a number']);
  });

  it('fails clearly on a missing unit or a file with no C-MAPSS rows', () => {
    expect(() => parseCmapss(cmapssLine(1, 1), 'x.txt', 7)).toThrow('x.txt: unit 7 not in the file (units 1)');
    expect(() => parseCmapss('a;b;c\n1;2;3', 'y.csv')).toThrow(FatalError);
    expect(() => parseCmapss('a;b;c\n1;2;3', 'y.csv')).toThrow(/^y\.csv: no C-MAPSS rows .*first problem: y\.csv:1: expected 26 columns/);
  });

  it('reads SKAB files by header name and skips bad rows with their line number', () => {
    const text = [SKAB_HEADER, skabLine(1), skabLine(2).replace('1.32', 'n/a'), skabLine(3), ''].join('\n');
    const p = parseSkab(text, 's.csv');
    expect(p.asset).toBe('Pump1');
    expect(p.rows).toEqual([
      { 'Pump1.Accelerometer1RMS': 0.021, 'Pump1.Accelerometer2RMS': 0.04, 'Pump1.Current': 1.31, 'Pump1.Pressure': 0.054711, 'Pump1.Temperature': 79.3, 'Pump1.Thermocouple': 26, 'Pump1.Voltage': 233, 'Pump1.VolumeFlowRateRMS': 32.1 },
      expect.objectContaining({ 'Pump1.Current': 1.33, 'Pump1.VolumeFlowRateRMS': 32.3 }),
    ]);
    expect(p.skipped.map((e) => e.message)).toEqual(['s.csv:3: Current: "n/a" is not a number']);
  });

  it('fails clearly on a SKAB file without a known channel', () => {
    expect(() => parseSkab('a;b\n1;2', 'z.csv')).toThrow(/^z\.csv: no SKAB channel in the header/);
  });

  it('names an unreadable file', () => {
    expect(() => loadReplay({ file: '/nonexistent/x.csv', format: 'skab' })).toThrow('/nonexistent/x.csv: cannot read replay file: ENOENT');
  });
});

describe('replay player', () => {
  const parsed = parseSkab([SKAB_HEADER, skabLine(1), skabLine(2), skabLine(3)].join('\n'), 's.csv');
  const flow = (p: ReplayPlayer, dt: number) => p.advance(dt)['Pump1.VolumeFlowRateRMS'];

  it('steps at rowsPerSecond and loops', () => {
    const p = new ReplayPlayer(parsed, 2, true);
    expect(p.current()['Pump1.VolumeFlowRateRMS']).toBe(32.1);
    expect(flow(p, 0.25)).toBe(32.1);
    expect(flow(p, 0.25)).toBe(32.2);
    expect(flow(p, 0.5)).toBe(32.3);
    expect(flow(p, 0.5)).toBe(32.1);
    expect(p.stats()).toEqual({ replayRow: 0, replayRows: 3, replayLoops: 1, replaySkippedLines: 0 });
  });

  it('holds the last row without loop', () => {
    const p = new ReplayPlayer(parsed, 1, false);
    expect(flow(p, 10)).toBe(32.3);
    expect(flow(p, 1)).toBe(32.3);
  });

  it('replaces the replayed asset in the plant and leaves the other on its model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-replay-'));
    try {
      const file = join(dir, 'fan.txt');
      writeFileSync(file, [1, 2, 3, 4].map((c) => cmapssLine(3, c)).join('\n'));
      const cfg = simulatorConfig.parse({ replay: { file, format: 'cmapss', rowsPerSecond: 1 } });
      const plant = Plant.withReplay(cfg, loadReplay(cfg.replay!));
      plant.step(0, 0);
      expect(plant.snapshot()).toMatchObject({ cycle: 1, trueRul: 3, replay: { asset: 'Fan1', row: 0, rows: 4 } });
      plant.step(2, 2000);
      const s = plant.snapshot();
      expect(s).toMatchObject({ cycle: 3, trueRul: 1 });
      expect(s.values['Fan1.s11'].value).toBe(311.3);
      expect(s.values['Pump1.Current'].value).toBeGreaterThan(0.5); // the pump model still runs
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithData('cmapss', 'replay of the real C-MAPSS FD001 file', (dir) => {
  it('replays unit 1 from cycle 1 to its failure at cycle 192', () => {
    const p = loadReplay({ file: join(dir, 'train_FD001.txt'), format: 'cmapss', unit: 1 });
    expect(p.skipped).toEqual([]);
    expect(p.rows).toHaveLength(192);
    expect(p.rows[0]).toMatchObject({ 'Fan1.Cycle': 1, 'Fan1.TrueRUL': 191, 'Fan1.s2': 641.82, 'Fan1.s21': 23.419 });
    expect(p.rows[191]).toMatchObject({ 'Fan1.Cycle': 192, 'Fan1.TrueRUL': 0 });
  });
});

describeWithData('skab', 'replay of a real SKAB file', (dir) => {
  it('reads every row of valve1/0.csv with all eight channels', () => {
    const p = loadReplay({ file: join(dir, 'valve1', '0.csv'), format: 'skab' });
    expect(p.skipped).toEqual([]);
    expect(p.rows.length).toBeGreaterThan(1000);
    expect(p.rows[0]).toMatchObject({ 'Pump1.Accelerometer1RMS': 0.0265878, 'Pump1.VolumeFlowRateRMS': 32 });
    expect(Object.keys(p.rows[0]!)).toHaveLength(8);
  });
});
