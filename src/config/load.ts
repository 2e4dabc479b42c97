import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isNode, isScalar, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from '../core/errors';
import { gatewayConfigSchema, type GatewayConfig } from './schema';
import { substituteEnv } from './env';
import { toConfigIssues } from './issues';

export interface LoadedConfig {
  readonly file: string;
  readonly config: GatewayConfig;
  /** Absolute data and model directories, resolved against the config file's folder. */
  readonly dataDir: string;
  readonly modelsDir: string;
  /** Writable model registry (models.installDir or <dataDir>/models). */
  readonly installDir: string;
}

/** Parses YAML text into a validated config, or throws one ConfigError listing every problem. */
export function parseConfig(text: string, file = '<config>', env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: '(yaml)', message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''), line: pos?.line, column: pos?.col };
      }),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const issues: ConfigIssue[] = [];
  const substituted = substituteEnv(raw, env, [], issues);
  if (issues.length > 0) throw new ConfigError(file, withLines(issues, doc, lines));
  const parsed = gatewayConfigSchema.safeParse(substituted);
  if (!parsed.success) throw new ConfigError(file, withLines(toConfigIssues(parsed.error, substituted, gatewayConfigSchema), doc, lines));
  return parsed.data;
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [{ path: '(file)', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  const config = parseConfig(text, file, env);
  const base = dirname(resolve(file));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const dataDir = abs(config.gateway.dataDir);
  const installDir = config.models.installDir ? abs(config.models.installDir) : resolve(dataDir, 'models');
  return { file, config, dataDir, modelsDir: abs(config.gateway.modelsDir), installDir };
}

/** Adds the YAML line and column of the nearest existing node on each issue's path. */
function withLines(issues: ConfigIssue[], doc: Document, lines: LineCounter): ConfigIssue[] {
  return issues.map((i) => {
    const keys = parsePath(i.path);
    // An unknown key has no value node of its own worth pointing at: point at the key itself.
    if (i.message.startsWith('unknown key')) {
      const parent = keys.length > 1 ? doc.getIn(keys.slice(0, -1), true) : doc.contents;
      const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === keys[keys.length - 1]) : undefined;
      if (pair && isNode(pair.key) && pair.key.range) {
        const pos = lines.linePos(pair.key.range[0]);
        return { ...i, line: pos.line, column: pos.col };
      }
    }
    for (let n = keys.length; n > 0; n--) {
      const node = doc.getIn(keys.slice(0, n), true);
      if (isNode(node) && node.range) {
        const pos = lines.linePos(node.range[0]);
        return { ...i, line: pos.line, column: pos.col };
      }
    }
    return i;
  });
}

function parsePath(p: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}
