/** @jest-environment ./test/ml/ort-environment.js */
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/program';
import { readCmapss } from '../../src/ml/cmapss-data';
import { MemberPool } from '../../src/ml/member-pool';
import { crossValidateRul } from '../../src/ml/rul-cv';
import { distillationSet } from '../../src/ml/distill';
import { fitRul, RUL_DEFAULTS, rulArchitecture, rulDataset, rulToOnnx, splitEngines, type RulOptions } from '../../src/ml/rul-model';
import { Sequential } from '../../src/ml/sequential';
import { trainRul } from '../../src/ml/rul-train';
import { describeWithData } from '../helpers/shared-data';

// Side-by-side training runs the build's worker (dist/src/ml/member-worker.js, made by `npm test`'s build step).
describeWithData('cmapss', 'networks trained side by side (--jobs) in worker threads', (dataDir) => {
  const all = readCmapss(join(dataDir, 'train_FD001.txt'));
  // Two small CNNs and a GRU, one epoch on 8 engines: each network sees its own seed's weights, noise and batches.
  const opts: RulOptions = { ...RUL_DEFAULTS, window: 30, epochs: 1, maxEngines: 8, truncations: 2, batchSize: 64, members: 2, gruMembers: 1, gruUnits: 4 };
  const split = splitEngines(all, opts);

  it('an ensemble trained two at a time in workers is the one trained in this thread, byte for byte, with each worker\'s lines labelled', async () => {
    const lines: string[] = [];
    const here = await trainRul(split, opts);
    const side = await trainRul(split, { ...opts, jobs: 2 }, (l) => lines.push(l));
    expect(side.models.map((m) => m.specs)).toEqual(here.models.map((m) => m.specs));
    expect(Buffer.from(rulToOnnx(side.models, opts.cap)).equals(Buffer.from(rulToOnnx(here.models, opts.cap)))).toBe(true);
    expect(side.metrics).toEqual(here.metrics);
    expect(side.fit.history.map((h) => h.loss)).toEqual(here.fit.history.map((h) => h.loss));
    // Every member's start and epoch come back from its worker, named.
    for (const k of [1, 2, 3]) {
      expect(lines.filter((l) => l.startsWith(`[member ${k}/3] training `))).toHaveLength(1);
      expect(lines.filter((l) => l.startsWith(`[member ${k}/3] epoch 1/1`))).toHaveLength(1);
    }
    expect(lines.find((l) => l.startsWith('[member 3/3] training'))).toContain('training gru 4 3/3');
  });

  it('a pruned network fine-tuned in a worker equals the one fine-tuned in this thread (same masks, same zeros)', async () => {
    const trained = await trainRul(split, { ...opts, members: 1, gruMembers: 0 });
    const prepared = rulDataset(split, opts);
    const ft = { ...opts, members: 1, gruMembers: 0, epochs: 1, lr: opts.lr / 4 };
    const task = { split, opts: ft, k: 0, label: 'pruned 1/1', prune: { onnx: trained.models[0]!.toOnnx(), lambda: 0.3 } };
    const here = await new MemberPool(1, () => undefined).train(task, prepared);
    const side = await new MemberPool(2, () => undefined).train(task);
    const zeros = (w: ArrayLike<number>): number => Array.from(w).filter((v) => v === 0).length;
    const hereW = here.model.snapshot();
    const sideW = side.model.snapshot();
    expect(sideW.map((w) => Array.from(w))).toEqual(hereW.map((w) => Array.from(w)));
    // Pruning at 0.3 zeroed weights, and fine-tuning kept them zero: the trained network had none.
    expect(hereW.reduce((a, w) => a + zeros(w), 0)).toBeGreaterThan(0);
    expect(trained.models[0]!.snapshot().reduce((a, w) => a + zeros(w), 0)).toBe(0);
  });

  it('a student distilled in a worker equals the one distilled in this thread and a direct fit to the teacher\'s outputs', async () => {
    const teacher = await trainRul(split, { ...opts, members: 1, gruMembers: 1 });
    const targets = distillationSet(teacher.models, teacher.data.x, teacher.data.y, 0.8).y;
    const task = { split, opts, k: 0, label: 'student', distill: { targets } };
    const prepared = { data: teacher.data, norm: teacher.norm };
    const lines: string[] = [];
    const here = await new MemberPool(1, () => undefined).train(task, prepared);
    const side = await new MemberPool(2, (l) => lines.push(l)).train(task);
    // What the pipeline did before the student joined the pool: fitted in the main thread.
    const direct = new Sequential(rulArchitecture('student', opts), teacher.models[0]!.inShape, { seed: opts.seed + 1 });
    fitRul(direct, distillationSet(teacher.models, teacher.data.x, teacher.data.y, 0.8), split, teacher.norm, opts, () => undefined);
    const weights = (m: Sequential): number[][] => m.snapshot().map((w) => Array.from(w));
    expect(weights(side.model)).toEqual(weights(here.model));
    expect(weights(here.model)).toEqual(weights(direct));
    expect(here.model.paramCount()).toBeLessThan(teacher.models.reduce((a, m) => a + m.paramCount(), 0));
    expect(lines.filter((l) => l.startsWith(`[student] distilling into a student of ${direct.paramCount()} parameters`))).toHaveLength(1);
    // Targets that are not one per training window are refused, naming the task.
    await expect(new MemberPool(1, () => undefined).train({ ...task, distill: { targets: targets.slice(1) } }, prepared)).rejects.toThrow(`student: ${targets.length - 1} distillation targets for ${teacher.data.n} training windows`);
  });

  it('a cross-validation whose folds train side by side reports each fold in order, with the same predictions', async () => {
    // One network per fold: with two jobs, folds 1 and 2 train at the same time.
    const one = { ...opts, members: 1, gruMembers: 0 };
    const seen: number[] = [];
    const here = await crossValidateRul(all, one, 3);
    const side = await crossValidateRul(all, { ...one, jobs: 2 }, 3, () => undefined, (soFar) => seen.push(soFar.folds.length));
    expect(seen).toEqual([1, 2, 3]);
    expect(side.folds.map((f) => f.raw)).toEqual(here.folds.map((f) => f.raw));
    expect(side.folds.map((f) => f.valUnits)).toEqual(here.folds.map((f) => f.valUnits));
    // A fold's minutes are its networks' own training time, not the wall time since the fold before (which is
    // near 0 for a fold that ended beside the previous one): every fold trained the same kind of network.
    const minutes = side.folds.map((f) => f.minutes);
    for (const m of minutes) expect(m).toBeGreaterThan(0.2 * Math.max(...minutes));
    // --jobs is not part of what the figures depend on.
    expect(side.options).toEqual(here.options);
    expect(side.options).not.toHaveProperty('jobs');
  });

  it('a network that fails in its worker fails the run with the worker\'s error; a pool of no jobs is refused', async () => {
    await expect(trainRul(split, { ...opts, jobs: 2, members: 1, gruMembers: 0, arch: [{ type: 'dropout', rate: 2 }] })).rejects.toThrow('dropout: rate must be in [0, 1), got 2');
    expect(() => new MemberPool(0, () => undefined)).toThrow('--jobs: expected a whole number of networks >= 1, got 0');
    await expect(buildProgram().parseAsync(['node', 'pdm-gateway', 'train', 'rul', '--data', 'x', '--jobs', '0'])).rejects.toThrow('--jobs: expected a whole number of networks >= 1, got 0');
  });
});
