import {
  AttributeIds,
  BrowseDirection,
  type BrowseResult,
  type ClientSession,
  DataType,
  NodeClass,
  type NodeId,
  ObjectIds,
  type QualifiedName,
  type ReferenceDescription,
  resolveNodeId,
} from 'node-opcua';
import { inRuns, readOperationLimits } from './opcua-limits';

export interface BrowsedNode {
  readonly nodeId: string;
  readonly browseName: string;
  readonly nodeClass: 'Object' | 'Variable';
  readonly depth: number;
  /** Browse names from the start node down to this one. */
  readonly path: readonly string[];
  /** The same as qualified names (`1:Pump`), the steps of a browse path. */
  readonly qualifiedPath: readonly string[];
  dataType?: string;
  access?: string;
}

interface Step {
  readonly nodeId: NodeId;
  readonly path: string[];
  readonly qualifiedPath: string[];
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
  const browseLimit = { size: Math.min(BATCH, limits.maxNodesPerBrowse || BATCH) };
  // two attributes per variable, and at least one variable per Read
  const readBatch = Math.max(1, Math.floor(Math.min(2 * BATCH, limits.maxNodesPerRead || 2 * BATCH) / 2));
  const out: BrowsedNode[] = [];
  let level: Step[] = [{ nodeId: resolveNodeId(root), path: [], qualifiedPath: [] }];
  const seen = new Set<string>([resolveNodeId(root).toString()]);
  for (let d = 1; d <= depth && level.length; d++) {
    const next: Step[] = [];
    await inRuns(level, browseLimit, async (batch) => {
      const results = await browseAll(session, batch.map((b) => b.nodeId));
      results.forEach((refs, k) => {
        for (const r of refs) {
          const id = r.nodeId.toString();
          if (seen.has(id)) continue;
          seen.add(id);
          const name = r.browseName.toString();
          const parent = batch[k] as Step;
          const path = [...parent.path, r.browseName.name ?? name];
          const qualifiedPath = [...parent.qualifiedPath, qualified(r.browseName)];
          out.push({ nodeId: id, browseName: name, nodeClass: r.nodeClass === NodeClass.Variable ? 'Variable' : 'Object', depth: d, path, qualifiedPath });
          next.push({ nodeId: r.nodeId as unknown as NodeId, path, qualifiedPath });
        }
      });
    });
    level = next;
  }
  await describeVariables(session, out.filter((n) => n.nodeClass === 'Variable'), readBatch);
  return out;
}

/**
 * One step of a relative path (OPC-UA Part 4, A.2): `<ns>:<name>`, the namespace left out for 0,
 * the path's reserved characters in the name escaped with "&".
 */
function qualified(q: QualifiedName): string {
  const name = (q.name ?? '').replace(/[/.<>:#!&]/g, '&$&');
  return q.namespaceIndex ? `${q.namespaceIndex}:${name}` : name;
}

/**
 * The browse path from the Root folder to `nodeId` (`/Objects` for the Objects folder), found by
 * walking up its hierarchical parents: the prefix of the browse paths of nodes found below it.
 */
export async function browsePathOf(session: ClientSession, nodeId: string): Promise<string> {
  const steps: string[] = [];
  let cur = resolveNodeId(nodeId);
  for (let i = 0; !(cur.namespace === 0 && cur.value === ObjectIds.RootFolder); i++) {
    if (i === 64) throw new Error(`no browse path to ${nodeId}: more than 64 levels below the Root folder`);
    const name = await session.read({ nodeId: cur, attributeId: AttributeIds.BrowseName });
    const up = await session.browse({ nodeId: cur, browseDirection: BrowseDirection.Inverse, referenceTypeId: 'HierarchicalReferences', includeSubtypes: true, resultMask: 0x3f });
    const parent = up.references?.[0];
    if (!name.statusCode.isGood() || !parent) throw new Error(`no browse path to ${nodeId}: ${cur.toString()} has no parent in the hierarchy (${up.statusCode.name})`);
    steps.unshift(qualified(name.value.value as QualifiedName));
    cur = parent.nodeId as unknown as NodeId;
  }
  return steps.map((s) => `/${s}`).join('');
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
  await inRuns(vars, { size: batchSize }, async (batch) => {
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
  });
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
