import { AttributeIds, type ClientSession, type DataValue, VariableIds } from 'node-opcua';
import { errorMessage } from '../../core/errors';

/**
 * The server's per-call operation limits (Part 5, OperationLimitsType) that our bulk calls must
 * respect: past them the server refuses the whole call with BadTooManyOperations, and node-opcua
 * does not split requests by itself. 0 = no limit known.
 */
export interface OperationLimits {
  readonly maxNodesPerRead: number;
  readonly maxNodesPerBrowse: number;
  readonly maxMonitoredItemsPerCall: number;
  readonly maxNodesPerTranslateBrowsePathsToNodeIds: number;
}

export const NO_LIMITS: OperationLimits = { maxNodesPerRead: 0, maxNodesPerBrowse: 0, maxMonitoredItemsPerCall: 0, maxNodesPerTranslateBrowsePathsToNodeIds: 0 };

const LIMIT_NODES: readonly [keyof OperationLimits, number][] = [
  ['maxNodesPerRead', VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead],
  ['maxNodesPerBrowse', VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse],
  ['maxMonitoredItemsPerCall', VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall],
  ['maxNodesPerTranslateBrowsePathsToNodeIds', VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds],
];

/**
 * The limits in one Read. A server whose own MaxNodesPerRead is below four refuses that Read:
 * then one Read per limit. A limit the server does not expose (unknown node, not a number) is 0.
 */
export async function readOperationLimits(session: ClientSession): Promise<OperationLimits> {
  const nodes = LIMIT_NODES.map(([, id]) => ({ nodeId: `i=${id}`, attributeId: AttributeIds.Value }));
  let dvs: (DataValue | undefined)[];
  try {
    dvs = await session.read(nodes);
  } catch (e) {
    // anything else (a dead link, a timeout) is the caller's to handle
    if (!/TooManyOperations/.test(errorMessage(e))) throw e;
    dvs = await Promise.all(nodes.map((n) => session.read(n).catch(() => undefined)));
  }
  const out: { -readonly [K in keyof OperationLimits]: number } = { ...NO_LIMITS };
  LIMIT_NODES.forEach(([key], i) => {
    const dv = dvs[i];
    const v: unknown = dv?.value?.value;
    if (dv?.statusCode.isGood() && typeof v === 'number' && v > 0) out[key] = v;
  });
  return out;
}

/** `items` in runs of at most `limit` (all in one run when limit is 0). */
export function chunked<T>(items: readonly T[], limit: number): T[][] {
  if (items.length === 0) return [];
  const size = limit > 0 ? limit : items.length;
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
