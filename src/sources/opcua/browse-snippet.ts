import type { BrowsedNode } from './browse';

/**
 * `*` any run of characters but "/", `**` any run, `?` one character but "/"; everything else
 * literal. Hand-rolled: NodeIds hold `[`, `]`, `{`, `!`, `(` and `;` (`ns=2;s=Line[1]`), which file
 * glob libraries would read as syntax.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The strings a selection pattern is matched against: NodeId, browse name with and without namespace, path below the start node. */
function keysOf(n: BrowsedNode): string[] {
  return [n.nodeId, n.browseName, n.path.at(-1) ?? '', n.path.join('/'), n.qualifiedPath.join('/')];
}

const readable = (n: BrowsedNode): boolean => n.nodeClass === 'Variable' && n.access?.startsWith('r') === true;

/**
 * The readable variables a snippet lists by default: all of them but the server's own namespace-0
 * variables (ServerStatus, NamespaceArray, ...).
 */
export function defaultSnippetVariables(nodes: readonly BrowsedNode[]): BrowsedNode[] {
  return nodes.filter((n) => readable(n) && !n.nodeId.startsWith('ns=0;') && !/^i=\d+$/.test(n.nodeId));
}

/**
 * The readable variables chosen by `patterns` (NodeIds or globs on NodeId, browse name or path
 * below the start node, e.g. `ns=1;s=Pump.Pressure`, `Temp*`, `Pump/V?`), in tree order, and the
 * patterns that chose none.
 */
export function selectVariables(nodes: readonly BrowsedNode[], patterns: readonly string[]): { selected: BrowsedNode[]; unmatched: string[] } {
  const res = patterns.map((p) => ({ p, re: globToRegExp(p), hits: 0 }));
  const selected = nodes.filter((n) => {
    if (!readable(n)) return false;
    const keys = keysOf(n);
    let hit = false;
    for (const r of res) {
      if (keys.some((k) => k === r.p || r.re.test(k))) {
        r.hits++;
        hit = true;
      }
    }
    return hit;
  });
  return { selected, unmatched: res.filter((r) => r.hits === 0).map((r) => r.p) };
}

/**
 * A ready `sources:` entry for `vars`, tag names from the path below the start node. With
 * `browsePathPrefix` (the browse path of the start node, e.g. `/Objects`) each node is given by
 * its browse path, re-resolved by the gateway after every reconnect, instead of its NodeId.
 */
export function formatSnippet(endpoint: string, vars: readonly BrowsedNode[], browsePathPrefix?: string): string {
  const used = new Set<string>();
  const lines = vars.map((v) => {
    const base = v.path.join('.').replace(/[^A-Za-z0-9_.-]+/g, '_') || 'tag';
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    const where = browsePathPrefix === undefined ? `nodeId: ${JSON.stringify(v.nodeId)}` : `browsePath: ${JSON.stringify(`${browsePathPrefix}/${v.qualifiedPath.join('/')}`)}`;
    return `      - { name: ${name}, ${where} }`;
  });
  const id = endpoint.replace(/^opc\.tcp:\/\//, '').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/-+$/, '');
  return [
    'sources:',
    `  - id: ${id}`,
    '    type: opcua',
    `    endpoint: ${endpoint}`,
    '    nodes:',
    ...(lines.length ? lines : ['      []  # no readable variables found; try --depth or --under']),
  ].join('\n');
}
