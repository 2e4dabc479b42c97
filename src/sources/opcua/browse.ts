import {
  AttributeIds,
  BrowseDirection,
  type BrowseResult,
  type ClientSession,
  DataType,
  NodeClass,
  type NodeId,
  type ReferenceDescription,
  resolveNodeId,
} from 'node-opcua';
import { chunked, readOperationLimits } from './opcua-limits';

export interface BrowsedNode {
  readonly nodeId: string;
  readonly browseName: string;
  readonly nodeClass: 'Object' | 'Variable';
  readonly depth: number;
  /** Browse names from the start node down to this one. */
  readonly path: readonly string[];
  dataType?: string;
  access?: string;
}

/** Nodes per Browse or Read when the server names no limit (keeps each message of moderate size). */
const BATCH = 500;

/**
 * Walk the hierarchy under `root` breadth-first, `depth` levels down, one Browse call per level
 * (in batches of the server's MaxNodesPerBrowse, else 500), following continuation points; then
 * read DataType and AccessLevel of every variable in one Read per batch (MaxNodesPerRead).
 */
export async function browseTree(session: ClientSession, root: string, depth: number): Promise<BrowsedNode[]> {
  const limits = await readOperationLimits(session);
  const browseBatch = Math.min(BATCH, limits.maxNodesPerBrowse || BATCH);
  // two attributes per variable, and at least one variable per Read
  const readBatch = Math.max(1, Math.floor(Math.min(2 * BATCH, limits.maxNodesPerRead || 2 * BATCH) / 2));
  const out: BrowsedNode[] = [];
  let level: { nodeId: NodeId; path: string[] }[] = [{ nodeId: resolveNodeId(root), path: [] }];
  const seen = new Set<string>([resolveNodeId(root).toString()]);
  for (let d = 1; d <= depth && level.length; d++) {
    const next: { nodeId: NodeId; path: string[] }[] = [];
    for (const batch of chunked(level, browseBatch)) {
      const results = await browseAll(session, batch.map((b) => b.nodeId));
      results.forEach((refs, k) => {
        for (const r of refs) {
          const id = r.nodeId.toString();
          if (seen.has(id)) continue;
          seen.add(id);
          const name = r.browseName.toString();
          const path = [...(batch[k] as { path: string[] }).path, r.browseName.name ?? name];
          out.push({ nodeId: id, browseName: name, nodeClass: r.nodeClass === NodeClass.Variable ? 'Variable' : 'Object', depth: d, path });
          next.push({ nodeId: r.nodeId as unknown as NodeId, path });
        }
      });
    }
    level = next;
  }
  await describeVariables(session, out.filter((n) => n.nodeClass === 'Variable'), readBatch);
  return out;
}

async function browseAll(session: ClientSession, nodeIds: NodeId[]): Promise<ReferenceDescription[][]> {
  const results: BrowseResult[] = await session.browse(
    nodeIds.map((nodeId) => ({
      nodeId,
      browseDirection: BrowseDirection.Forward,
      referenceTypeId: 'HierarchicalReferences',
      includeSubtypes: true,
      nodeClassMask: NodeClass.Object | NodeClass.Variable,
      resultMask: 0x3f,
    })),
  );
  const refs = results.map((r) => [...(r.references ?? [])]);
  let pending = results.map((r, i) => ({ i, cp: r.continuationPoint })).filter((x) => x.cp && x.cp.length);
  while (pending.length) {
    const more = await session.browseNext(
      pending.map((p) => p.cp as Buffer),
      false,
    );
    more.forEach((r, k) => refs[(pending[k] as { i: number }).i]?.push(...(r.references ?? [])));
    pending = more.map((r, k) => ({ i: (pending[k] as { i: number }).i, cp: r.continuationPoint })).filter((x) => x.cp && x.cp.length);
  }
  return refs;
}

async function describeVariables(session: ClientSession, vars: BrowsedNode[], batchSize: number): Promise<void> {
  for (const batch of chunked(vars, batchSize)) {
    const dvs = await session.read(batch.flatMap((v) => [
      { nodeId: v.nodeId, attributeId: AttributeIds.DataType },
      { nodeId: v.nodeId, attributeId: AttributeIds.AccessLevel },
    ]));
    batch.forEach((v, k) => {
      const dt = dvs[2 * k]?.value.value as NodeId | null | undefined;
      const al = dvs[2 * k + 1]?.value.value as number | null | undefined;
      v.dataType = dt ? dataTypeName(dt) : '?';
      v.access = typeof al === 'number' ? `${al & 1 ? 'r' : '-'}${al & 2 ? 'w' : '-'}` : '?';
    });
  }
}

function dataTypeName(dt: NodeId): string {
  if (dt.namespace === 0 && typeof dt.value === 'number' && DataType[dt.value] !== undefined) return DataType[dt.value] as string;
  return dt.toString();
}

export function formatTree(nodes: readonly BrowsedNode[]): string {
  return nodes
    .map((n) => {
      const indent = '  '.repeat(n.depth - 1);
      const detail = n.nodeClass === 'Variable' ? `  [${n.dataType ?? '?'}, ${n.access ?? '?'}]` : '';
      return `${indent}${n.browseName}  ${n.nodeId}${detail}`;
    })
    .join('\n');
}

/**
 * A ready `sources:` entry for the readable variables, tag names from the browse path. The
 * server's own namespace-0 variables (ServerStatus, NamespaceArray, ...) are left out.
 */
export function formatSnippet(endpoint: string, nodes: readonly BrowsedNode[]): string {
  const vars = nodes.filter((n) => n.nodeClass === 'Variable' && n.access?.startsWith('r') && !n.nodeId.startsWith('ns=0;') && !/^i=\d+$/.test(n.nodeId));
  const used = new Set<string>();
  const lines = vars.map((v) => {
    let name = v.path.join('.').replace(/[^A-Za-z0-9_.-]+/g, '_') || 'tag';
    for (let k = 2; used.has(name); k++) name = `${name}_${k}`;
    used.add(name);
    return `      - { name: ${name}, nodeId: "${v.nodeId}" }`;
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
