/** @jest-environment ./test/ml/ort-environment.js */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { readModelDir } from '../../src/ml/model-files';
import { Rng } from '../../src/ml/rng';
import { packageRoot, shippedModelDir } from '../../src/ml/shipped-models';
import { cliOutput } from '../helpers/cli';

const HEADER = 'datetime;Accelerometer1RMS;Accelerometer2RMS;Current;Pressure;Temperature;Thermocouple;Voltage;Volume Flow RateRMS;anomaly;changepoint';

describe('evaluate anomaly --data DIR (no --model)', () => {
  let dir: string;
  const cwd = process.cwd();
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pdm-eval-default-'));
    // One labelled file in SKAB's format around the shipped model's reference levels: 450 normal
    // rows, then 50 rows with the pressure 8 reference std up (the valve-closure kind of shift).
    const norm = readModelDir('models/skab-anomaly').manifest.inputs[0]!.normalization;
    if (norm.type !== 'baseline' || !norm.mean || !norm.std) throw new Error('shipped skab-anomaly: expected a baseline normalization with reference levels');
    const rng = new Rng(4);
    const rows = Array.from({ length: 500 }, (_, t) => {
      const bad = t >= 450;
      const v = norm.mean!.map((m, c) => m + norm.std![c]! * (0.3 * rng.normal() + (bad && c === 3 ? 8 : 0)));
      return `2020-03-09 10:${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')};${v.join(';')};${bad ? '1.0' : '0.0'};0.0`;
    });
    writeFileSync(join(dir, '0.csv'), `${HEADER}\n${rows.join('\n')}\n`);
  });
  afterAll(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it("uses the package's models/skab-anomaly, whatever the working directory", async () => {
    process.chdir(dir); // no models/ folder here: a cwd-relative default would fail
    let printed: string;
    try {
      printed = await cliOutput('evaluate', 'anomaly', '--data', dir, '--json');
    } finally {
      process.chdir(cwd);
    }
    const r = JSON.parse(printed) as { model: string; files: number; tp: number; fn: number; fp: number; tn: number };
    expect(r.model).toBe('skab-anomaly');
    expect(r.files).toBe(1);
    expect(r.tp + r.fn).toBe(50);
    expect(r.tp + r.fp + r.tn + r.fn).toBe(500);
    expect(r.tp).toBeGreaterThan(25); // the 8-std pressure shift is caught
  });

  it('finds the package root from any folder inside it', () => {
    expect(packageRoot()).toBe(resolve('.'));
    expect(packageRoot(join(resolve('.'), 'dist', 'src', 'ml'))).toBe(resolve('.'));
    const d = shippedModelDir('skab-anomaly');
    expect(isAbsolute(d)).toBe(true);
    expect(existsSync(join(d, 'manifest.json'))).toBe(true);
    expect(() => packageRoot('/')).toThrow('no pdm-gateway package.json above /');
  });
});
