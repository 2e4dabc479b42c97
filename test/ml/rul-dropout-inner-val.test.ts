/** @jest-environment ./test/ml/ort-environment.js */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/program';
import { readCmapss } from '../../src/ml/cmapss-data';
import type { LayerSpec } from '../../src/ml/layers';
import { rmse } from '../../src/ml/metrics';
import { Rng } from '../../src/ml/rng';
import { crossValidateRul, cvOptionsKey, type CvFigures } from '../../src/ml/rul-cv';
import { cutSplit, predictLast, RUL_DEFAULTS, rulArchitecture, rulMember, splitEngines, withInnerVal } from '../../src/ml/rul-model';
import { trainRul } from '../../src/ml/rul-train';
import { describeWithData } from '../helpers/shared-data';
import { expectOnnxMatchesForward } from './rul-export-check';

const TINY: LayerSpec[] = [{ type: 'gaussian-noise', std: 0.08 }, { type: 'conv1d', filters: 3, kernel: 5 }, { type: 'activation', fn: 'leaky-relu', alpha: 0.1 }, { type: 'flatten' }, { type: 'dense', units: 1 }];

/** The message `train rul --cv-from` refuses a file with: it names the options this run would use. */
async function optionsOfRun(args: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-rul7-'));
  try {
    const file = join(dir, 'cv.json');
    const fake: Partial<CvFigures> = { options: cvOptionsKey({ ...RUL_DEFAULTS, window: 30 }) };
    writeFileSync(file, JSON.stringify(fake));
    const run = buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--data', dir, '--out', join(dir, 'm'), '--cv-from', file, ...args]);
    return await run.then(
      () => 'no error',
      (e: Error) => e.message,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('train rul --dropout', () => {
  it('puts a dropout layer of that rate before the small network\'s dense head; the default (0) has none', () => {
    expect(RUL_DEFAULTS.dropout).toBe(0);
    expect(rulArchitecture('student').some((s) => s.type === 'dropout')).toBe(false);
    const specs = rulMember({ ...RUL_DEFAULTS, dropout: 0.2 }, 0).specs;
    const at = specs.findIndex((s) => s.type === 'dropout');
    expect(specs[at]).toEqual({ type: 'dropout', rate: 0.2 });
    expect(specs[at - 1]!.type).toBe('flatten');
    expect(specs[at + 1]).toEqual({ type: 'dense', units: 16 });
    // The teacher keeps its own 0.3.
    expect(rulArchitecture('teacher', { noise: 0.08, bottleneck: 2, smooth: 0, dropout: 0.1 }).filter((s) => s.type === 'dropout')).toEqual([{ type: 'dropout', rate: 0.3 }]);
  });

  it('adds no parameters; the exported graph matches the TS prediction (inference: no dropout)', async () => {
    const member = rulMember({ ...RUL_DEFAULTS, dropout: 0.2 }, 0);
    expect(member.paramCount()).toBe(2699);
    // The layer forks the initialization stream as it is built: the convolutions start as without
    // it, the dense head (built after it) from other initial weights.
    const plain = rulMember(RUL_DEFAULTS, 0).params();
    member.params().forEach((p, i) => expect(p.value.length).toBe(plain[i]!.value.length));
    expect(member.params().slice(0, 4).map((p) => Array.from(p.value))).toEqual(plain.slice(0, 4).map((p) => Array.from(p.value)));
    expect(Array.from(member.params()[4]!.value)).not.toEqual(Array.from(plain[4]!.value));
    await expectOnnxMatchesForward(member, 11, [31, 50, 90], 1);
  });

  it('reaches the run\'s options and the cross-validation key (absent when off, so older figures still match); bad rates are refused', async () => {
    expect(cvOptionsKey(RUL_DEFAULTS)).not.toHaveProperty('dropout');
    expect(cvOptionsKey({ ...RUL_DEFAULTS, dropout: 0.1 })).toMatchObject({ dropout: 0.1 });
    expect(await optionsOfRun(['--dropout', '0.1'])).toMatch(/this run uses \{.*"dropout":0\.1/);
    expect(await optionsOfRun([])).not.toMatch(/this run uses \{.*"dropout"/);
    expect(await optionsOfRun(['--dropout', '1'])).toBe('--dropout: expected a rate in [0, 1) (0 = none), got 1');
    expect(await optionsOfRun(['--dropout', '0.2', '--size', 'teacher'])).toMatch(/^--dropout: applies to the small network/);
  });
});

describe('train rul --inner-val', () => {
  it('reaches the run\'s options and the key (with the patience it stops with); refused beside --early-stop', async () => {
    expect(cvOptionsKey(RUL_DEFAULTS)).not.toHaveProperty('innerVal');
    expect(await optionsOfRun(['--inner-val', '8'])).toMatch(/this run uses \{.*"innerVal":8,"patience":8/);
    expect(await optionsOfRun(['--inner-val', '8', '--early-stop'])).toMatch(/^--inner-val: early-stops on its own engines/);
    expect(await optionsOfRun(['--inner-val', '-1'])).toBe('--inner-val: expected a number of engines >= 0, got -1');
  });
});

describeWithData('cmapss', 'RUL early stopping on an inner validation split (tiny model)', (dataDir) => {
  const all = readCmapss(join(dataDir, 'train_FD001.txt'));
  const opts = { ...RUL_DEFAULTS, window: 30, arch: TINY, epochs: 3, maxEngines: 16, truncations: 2, batchSize: 64, members: 1, gruMembers: 0, innerVal: 3, patience: 2 };

  it('takes the inner engines from each fold\'s training engines: never the fold\'s held-out engines nor the final held-out set', async () => {
    const cv = await crossValidateRul(all, opts, 4);
    const split = splitEngines(all, opts);
    const final = new Set(split.heldOut.map((e) => e.unit));
    const pool = new Set(split.train.map((e) => e.unit));
    for (const f of cv.folds) {
      expect(f.innerUnits).toHaveLength(3);
      expect(f.trainEngines).toBe(16 - 4 - 3);
      for (const u of f.innerUnits!) {
        expect(pool.has(u)).toBe(true);
        expect(final.has(u)).toBe(false);
        expect(f.valUnits).not.toContain(u);
      }
      expect(f.bestEpoch! >= 1 && f.bestEpoch! <= 3).toBe(true);
    }
    // The fold's cases (engines, truncations) are those of the runs without it.
    const plain = await crossValidateRul(all, { ...opts, innerVal: 0, epochs: 1 }, 4);
    expect(cv.folds.map((f) => f.truth)).toEqual(plain.folds.map((f) => f.truth));
    expect(plain.folds[0]!.innerUnits).toBeUndefined();
    expect(cv.options).toMatchObject({ innerVal: 3, patience: 2 });
  });

  it('stops on truncations of the inner engines only, drops them from training and keeps the best epoch', async () => {
    const base = cutSplit(splitEngines(all, opts).train.slice(0, 12), splitEngines(all, opts).train.slice(12), opts, new Rng(1));
    const s = withInnerVal(base, opts);
    const inner = s.inner!.map((e) => e.unit);
    expect(inner).toEqual(base.train.slice(9).map((e) => e.unit));
    expect(s.train.map((e) => e.unit)).toEqual(base.train.slice(0, 9).map((e) => e.unit));
    expect(s.stop.engines).toHaveLength(3 * opts.truncations);
    expect(new Set(s.stop.engines.map((e) => e.unit))).toEqual(new Set(inner));
    expect(s.report).toBe(base.report);
    expect(s.heldOut).toBe(base.heldOut);
    const r = await trainRul(s, { ...opts, epochs: 4 });
    expect(r.data.n).toBeLessThan((await trainRul(base, { ...opts, innerVal: 0, epochs: 1 })).data.n);
    const kept = rmse(predictLast(r.models[0]!, s.stop.engines, r.norm, opts.window, opts.cap), s.stop.rul);
    expect(kept).toBeCloseTo(r.fit.bestVal!, 6);
    expect(withInnerVal(base, { ...opts, innerVal: 0 })).toBe(base);
    expect(() => withInnerVal(base, { ...opts, innerVal: 12 })).toThrow('--inner-val: expected a whole number of engines below the 12 training engines, got 12');
  });
});
