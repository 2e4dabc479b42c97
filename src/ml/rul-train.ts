import { FatalError } from '../core/errors';
import { MemberPool, type Trained } from './member-pool';
import { ensembleSize, evaluateRul, memberPlan, rulDataset, type RulOptions, type RulResult, type RulSplit } from './rul-model';

/**
 * Refuses member windows that do not make the ensemble `--cv-combine` assumes: one per CNN, the
 * longest equal to the window unless GRUs read it (they read the whole window), none shorter than
 * padFrom (a member would then train on other windows than its single-network run).
 */
function checkMemberWindows(opts: Pick<RulOptions, 'window' | 'members' | 'memberWindows' | 'padFrom' | 'gruMembers'>): void {
  const w = opts.memberWindows;
  if (w.length === 0) return;
  const fail = (msg: string): never => {
    throw new FatalError('--windows', msg);
  };
  if (w.length !== opts.members) fail(`${w.length} windows for ${opts.members} members: give one per member`);
  if (w.some((v) => !Number.isInteger(v) || v < opts.padFrom)) fail(`each window must be a whole number of cycles >= --pad-from (${opts.padFrom}), got ${w.join(', ')}`);
  const longest = Math.max(...w);
  if (longest > opts.window || (longest < opts.window && opts.gruMembers === 0)) fail(`the graph reads the longest window (${longest}), but --window is ${opts.window}`);
}

/**
 * Trains the ensemble's members on the split's training engines (`opts.jobs` at a time, or in
 * `pool` when the caller shares one between several splits); the held-out engines are reported on.
 * `label` prefixes the members' names in the log lines of side-by-side training.
 */
export async function trainRul(split: RulSplit, opts: RulOptions, log: (line: string) => void = () => undefined, pool?: MemberPool, label = ''): Promise<RulResult> {
  checkMemberWindows(opts);
  const prepared = rulDataset(split, opts);
  const n = ensembleSize(opts);
  const own = pool ?? new MemberPool(opts.jobs, log);
  // The slow networks first (a GRU takes 3-6 CNNs' time), so that side by side no lane idles at the end; results keep member order.
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => Number(memberPlan(opts, b).gru) - Number(memberPlan(opts, a).gru));
  const trained: Trained[] = [];
  await Promise.all(order.map((k) => own.train({ split, opts, k, label: `${label}member ${k + 1}/${n}` }, prepared).then((t) => (trained[k] = t))));
  const models = trained.map((t) => t.model);
  // The figures of the last member's run, as when the members trained one after the other.
  const fit = trained[n - 1]!.fit;
  const trainMs = trained.reduce((a, t) => a + t.fit.elapsedMs, 0);
  return { models, norm: prepared.norm, data: prepared.data, fit, trainMs, metrics: evaluateRul(models, split, prepared.norm, opts, prepared.data.n, fit.history.length) };
}
