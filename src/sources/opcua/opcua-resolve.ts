import { type ClientSession, makeBrowsePath, type NodeId, resolveNodeId, StatusCodes } from 'node-opcua';
import type { OpcuaNodeConfig } from './config';
import { inRuns, type RunLimit } from './opcua-limits';
import { statusOf } from './status-quality';

export type Resolved = { node: OpcuaNodeConfig; nodeId: NodeId } | { node: OpcuaNodeConfig; error: { code: number; text: string } };

/**
 * NodeIds of the configured nodes. Browse paths (from the Root folder, e.g.
 * /Objects/1:Pump/1:Pressure) are translated in ONE TranslateBrowsePathsToNodeIds call (or one per
 * `limit.size` paths: the server's MaxNodesPerTranslateBrowsePathsToNodeIds, lowered by inRuns when
 * it refuses more), again after every reconnect, so a server that renumbered its nodes is followed.
 */
export async function resolveNodes(session: ClientSession, nodes: readonly OpcuaNodeConfig[], limit: RunLimit = { size: 0 }): Promise<Resolved[]> {
  const out: Resolved[] = [];
  const paths: { index: number; path: string }[] = [];
  nodes.forEach((node, index) => {
    if (node.nodeId !== undefined) {
      try {
        out[index] = { node, nodeId: resolveNodeId(node.nodeId) };
      } catch (e) {
        out[index] = { node, error: { code: StatusCodes.BadNodeIdInvalid.value, text: `BadNodeIdInvalid: ${(e as Error).message}` } };
      }
    } else {
      paths.push({ index, path: node.browsePath as string });
    }
  });
  await inRuns(paths, limit, async (run) => {
    const results = await session.translateBrowsePath(run.map((p) => makeBrowsePath('RootFolder', p.path)));
    results.forEach((r, i) => {
      const { index } = run[i] as { index: number };
      const node = nodes[index] as OpcuaNodeConfig;
      const target = r.targets?.[0];
      if (r.statusCode.isGood() && target) out[index] = { node, nodeId: target.targetId as unknown as NodeId };
      else out[index] = { node, error: { ...statusOf(r.statusCode), text: `${r.statusCode.name}: browse path ${node.browsePath} not found` } };
    });
  });
  return out;
}
