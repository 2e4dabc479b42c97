import {
  AttributeIds,
  type ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  type DataValue,
  DeadbandType,
  type MonitoringParametersOptions,
  type NodeId,
  TimestampsToReturn,
} from 'node-opcua';
import type { OpcuaNodeConfig, OpcuaSourceConfig } from './config';
import { inRuns, type RunLimit } from './opcua-limits';
import type { Resolved } from './opcua-resolve';
import { statusOf } from './status-quality';

const TRIGGERS = {
  status: DataChangeTrigger.Status,
  'status-value': DataChangeTrigger.StatusValue,
  'status-value-timestamp': DataChangeTrigger.StatusValueTimestamp,
} as const;

export interface MonitorHandlers {
  /** A value of the node at `index` in the source's node list. */
  onValue(index: number, dv: DataValue): void;
  /** A node the server refused to monitor (unknown node, filter not supported, ...). */
  onRejected(index: number, status: { code: number; text: string }): void;
  onAccepted?(index: number): void;
}

function monitoringParameters(cfg: OpcuaSourceConfig, node: OpcuaNodeConfig): MonitoringParametersOptions {
  const filter =
    node.deadband || node.trigger !== 'status-value'
      ? new DataChangeFilter({
          trigger: TRIGGERS[node.trigger],
          deadbandType: node.deadband ? (node.deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent) : DeadbandType.None,
          deadbandValue: node.deadband?.value ?? 0,
        })
      : null;
  return {
    samplingInterval: node.samplingIntervalMs ?? cfg.samplingIntervalMs,
    queueSize: node.queueSize,
    discardOldest: node.discardOldest,
    filter,
  };
}

export async function createSubscription(session: ClientSession, cfg: OpcuaSourceConfig): Promise<ClientSubscription> {
  return session.createSubscription2({
    requestedPublishingInterval: cfg.publishingIntervalMs,
    requestedMaxKeepAliveCount: cfg.keepAliveCount,
    requestedLifetimeCount: cfg.keepAliveCount * 6,
    maxNotificationsPerPublish: cfg.maxNotificationsPerPublish,
    publishingEnabled: true,
    priority: 1,
  });
}

/**
 * Monitored items are created in bulk: one CreateMonitoredItems call per distinct set of
 * monitoring parameters (typically one for the whole source), never one per item, split into
 * calls of at most `limit.size` items (the server's MaxMonitoredItemsPerCall; 0 = no limit; see inRuns).
 * `entries` carry the index of each node in the source's node list.
 */
export async function monitorNodes(
  subscription: ClientSubscription,
  cfg: OpcuaSourceConfig,
  entries: readonly { index: number; r: Resolved }[],
  handlers: MonitorHandlers,
  limit: RunLimit = { size: 0 },
): Promise<void> {
  const batches = new Map<string, { params: MonitoringParametersOptions; indexes: number[]; nodeIds: NodeId[] }>();
  for (const { index, r } of entries) {
    if ('error' in r) {
      handlers.onRejected(index, r.error);
      continue;
    }
    const params = monitoringParameters(cfg, r.node);
    const key = JSON.stringify([params.samplingInterval, params.queueSize, params.discardOldest, r.node.deadband, r.node.trigger]);
    let b = batches.get(key);
    if (!b) batches.set(key, (b = { params, indexes: [], nodeIds: [] }));
    b.indexes.push(index);
    b.nodeIds.push(r.nodeId);
  }
  for (const b of batches.values()) {
    await inRuns(b.indexes.map((index, k) => ({ index, nodeId: b.nodeIds[k] as NodeId })), limit, async (run) => {
      const items = run.map(({ nodeId }) => ({ nodeId, attributeId: AttributeIds.Value }));
      const group: ClientMonitoredItemGroup = await subscription.monitorItems(items, b.params, TimestampsToReturn.Both);
      group.monitoredItems.forEach((item, i) => {
        const sc = item.statusCode;
        if (sc && !sc.isGood()) handlers.onRejected((run[i] as { index: number }).index, statusOf(sc));
        else handlers.onAccepted?.((run[i] as { index: number }).index);
      });
      group.on('changed', (_item, dv, i) => handlers.onValue((run[i] as { index: number }).index, dv));
    });
  }
}
