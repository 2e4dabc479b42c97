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
    if (!isTooManyOperations(e)) throw e;
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

/** Whether a service call failed because the server took it as too many operations at once. */
export function isTooManyOperations(e: unknown): boolean {
  return /TooManyOperations/.test(errorMessage(e));
}

/**
 * The per-call size in force for one kind of bulk call (0 = no limit known): it starts at what
 * the server publishes, and inRuns() lowers it when the server refuses more.
 */
export interface RunLimit {
  size: number;
  /** Called when inRuns() lowers it: the size refused and the new one. */
  readonly onLowered?: (refused: number, size: number) => void;
}

export type RunLimits = Readonly<Record<'read' | 'monitor' | 'translate', RunLimit>>;

/** One RunLimit per kind of bulk call, from the published limits. */
export function runLimits(l: OperationLimits, onLowered?: (kind: keyof RunLimits, refused: number, size: number) => void): RunLimits {
  const make = (kind: keyof RunLimits, size: number): RunLimit => ({ size, onLowered: onLowered && ((r, n) => onLowered(kind, r, n)) });
  return { read: make('read', l.maxNodesPerRead), monitor: make('monitor', l.maxMonitoredItemsPerCall), translate: make('translate', l.maxNodesPerTranslateBrowsePathsToNodeIds) };
}

/**
 * Calls `call` on `items[0, end)` in runs of at most `limit.size` (all in one when 0), in order;
 * `offset` is the run's first position in `items`. Some servers enforce a per-call limit they do not
 * publish (or publish a wrong one) and refuse a larger call whole with BadTooManyOperations:
 * such a run is halved and sent again, and the smaller size is kept in `limit` for the calls
 * after it. Any other failure, or a refusal of a single item, is the caller's.
 */
export async function inRuns<T>(items: readonly T[], limit: RunLimit, call: (run: T[], offset: number) => Promise<void>, end = items.length): Promise<void> {
  for (let i = 0; i < end; ) {
    const run = items.slice(i, limit.size > 0 ? Math.min(end, i + limit.size) : end);
    try {
      await call(run, i);
    } catch (e) {
      if (run.length === 1 || !isTooManyOperations(e)) throw e;
      limit.size = Math.ceil(run.length / 2);
      limit.onLowered?.(run.length, limit.size);
      continue;
    }
    i += run.length;
  }
}
