import type { z } from 'zod';
import type { ConfigIssue } from '../core/errors';
import { formatPath } from './env';

/**
 * Turns zod's issues into messages a plant engineer can act on:
 * `sources[1].registers[3].type: expected one of int16, uint16, ... got "in16"`.
 */
export function toConfigIssues(error: z.ZodError, root: unknown, schema: z.ZodType): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) expand(issue, root, schema, out);
  return out;
}

type Issue = z.core.$ZodIssue;

function expand(issue: Issue, root: unknown, schema: z.ZodType, out: ConfigIssue[]): void {
  const path = issue.path as PropertyKey[];
  const got = valueAt(root, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const key of issue.keys) {
        const known = keysAt(schema, path);
        const hint = closest(key, known);
        out.push({ path: formatPath([...path, key]), message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}` });
      }
      return;
    case 'invalid_value':
      out.push({ path: formatPath(path), message: `expected one of ${issue.values.map((v) => String(v)).join(', ')}, got ${show(got)}` });
      return;
    case 'invalid_type':
      out.push({ path: formatPath(path), message: got === undefined ? `required ${issue.expected} is missing` : `expected ${issue.expected}, got ${show(got)}` });
      return;
    case 'invalid_union': {
      const disc = 'discriminator' in issue ? issue.discriminator : undefined;
      if (issue.errors.length === 0 && disc) {
        const values = schemasAt(schema, path).flatMap((n) => defOf(n).values ?? []);
        const expected = values.length > 0 ? `expected one of ${values.map(String).join(', ')}` : `invalid ${String(disc)}`;
        out.push({ path: formatPath(path), message: `${expected}, got ${show(got)}` });
        return;
      }
      // Report the alternative that got furthest (fewest issues) rather than all of them.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      for (const sub of best) expand({ ...sub, path: [...path, ...sub.path] } as Issue, root, schema, out);
      if (best.length === 0) out.push({ path: formatPath(path), message: issue.message });
      return;
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      const unit = issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : '';
      out.push({ path: formatPath(path), message: `expected ${word} ${String(bound)}${unit}, got ${issue.origin === 'array' && Array.isArray(got) ? `${got.length} items` : show(got)}` });
      return;
    }
    case 'custom':
      out.push({ path: formatPath(path), message: issue.message });
      return;
    default:
      out.push({ path: formatPath(path), message: got === undefined ? issue.message : `${issue.message}, got ${show(got)}` });
  }
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  valueType?: z.ZodType;
  values?: unknown[];
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The keys the schema allows at a path, for "did you mean" hints (unions: all options). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(schemasAt(schema, path).flatMap((n) => Object.keys(defOf(n).shape ?? {})))];
}

/** Every schema node that can sit at a path (unions and wrappers unwrapped). */
function schemasAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType[] {
  let nodes: z.ZodType[] = [schema];
  const unwrap = (list: z.ZodType[]): z.ZodType[] =>
    list.flatMap((n) => {
      const d = defOf(n);
      if (d.innerType) return unwrap([d.innerType]);
      if (d.type === 'pipe' && d.in) return unwrap([d.in]);
      if (d.type === 'union' && d.options) return unwrap(d.options);
      return [n];
    });
  for (const p of path) {
    nodes = unwrap(nodes).flatMap((n) => {
      const d = defOf(n);
      if (d.type === 'array' && d.element && typeof p === 'number') return [d.element];
      if (d.type === 'object' && d.shape && typeof p === 'string' && d.shape[p]) return [d.shape[p]];
      if (d.type === 'record' && d.valueType) return [d.valueType];
      return [];
    });
  }
  return unwrap(nodes);
}

export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
