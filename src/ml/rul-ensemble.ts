import type { RulOptions } from './rul-model';

// The ensemble's windows and its description in words (model card, manifest, CLI).

/**
 * How the members' windows differ, for the model card and manifest: ' (its CNNs read the last 50,
 * 60, ... cycles of the window)', ' (its CNNs read the last 50 of the 80 cycles, its GRUs all of
 * them)', or '' when every member reads the whole window.
 */
export function memberWindowsNote(opts: Pick<RulOptions, 'memberWindows' | 'window'> & Partial<Pick<RulOptions, 'gruMembers'>>): string {
  const w = opts.memberWindows;
  if (w.length === 0) return '';
  const cnns = w.every((v) => v === w[0]) ? `the last ${w[0]} of the ${opts.window} cycles` : `the last ${w.join(', ')} cycles of the window`;
  return ` (its CNNs read ${cnns}${(opts.gruMembers ?? 0) > 0 ? ', its GRUs all of them' : ''})`;
}

/**
 * Cycles the GRUs read in the shipped recipe (1.5.0): with GRUs in the ensemble, the graph reads
 * this many cycles and the CNNs keep their own last `window` of them. Over 80 cycles the GRUs
 * score like over 50 alone, but disagree more with the CNNs: five of each average to 13.45
 * against 13.79 (4-fold cross-validation, docs/models.md).
 */
export const GRU_WINDOW = 80;

/**
 * Options whose GRUs read `gruWindow` cycles and whose CNNs the last `window` of them (see
 * GRU_WINDOW): the graph's window grows to gruWindow; unchanged without GRUs or when gruWindow is
 * not longer than the window.
 */
export function withGruWindow(opts: RulOptions, gruWindow = GRU_WINDOW): RulOptions {
  if (opts.gruMembers === 0 || gruWindow <= opts.window) return opts;
  return { ...opts, window: gruWindow, memberWindows: opts.members > 0 ? Array.from({ length: opts.members }, () => opts.window) : [] };
}

/** The networks of the ensemble in words, with their seeds: '5 CNNs (seeds 42-46) and 5 GRUs of 32 units (seeds 42-46)' (model card, manifest). */
export function ensembleNote(opts: Pick<RulOptions, 'members' | 'seed' | 'gruMembers' | 'gruUnits'>): string {
  const seeds = (n: number): string => (n > 1 ? `seeds ${opts.seed}-${opts.seed + n - 1}` : `seed ${opts.seed}`);
  const cnns = opts.members > 0 ? `${opts.members} CNN${opts.members > 1 ? 's' : ''} (${seeds(opts.members)})` : '';
  const grus = opts.gruMembers > 0 ? `${opts.gruMembers} GRU${opts.gruMembers > 1 ? 's' : ''} of ${opts.gruUnits} units (${seeds(opts.gruMembers)})` : '';
  return [cnns, grus].filter(Boolean).join(' and ');
}
