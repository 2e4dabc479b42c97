import { AttributeIds, type ClientSession, type DataValue, type NodeId, VariableIds } from 'node-opcua';
import type { OpcuaSourceConfig } from './config';
import type { Resolved } from './opcua-resolve';

interface PollGroup {
  readonly intervalMs: number;
  readonly indexes: number[];
  readonly nodeIds: NodeId[];
  busy: boolean;
}

export interface PollHandlers {
  onValues(indexes: readonly number[], values: readonly DataValue[]): void;
  /** The session failed a Read: the caller rebuilds the connection. */
  onFailure(err: Error): void;
  onOverrun(): void;
}

/**
 * Cyclic Read for servers with weak subscription support: one Read request per interval group
 * (chunked only when the server's MaxNodesPerRead operation limit says so).
 */
export class OpcuaPoller {
  private readonly groups: PollGroup[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private maxNodesPerRead = 0;
  private stopped = false;

  constructor(
    private readonly session: ClientSession,
    cfg: OpcuaSourceConfig,
    resolved: readonly Resolved[],
    private readonly handlers: PollHandlers,
  ) {
    const byInterval = new Map<number, PollGroup>();
    resolved.forEach((r, index) => {
      if ('error' in r) return;
      const intervalMs = r.node.pollIntervalMs ?? cfg.pollIntervalMs;
      let g = byInterval.get(intervalMs);
      if (!g) byInterval.set(intervalMs, (g = { intervalMs, indexes: [], nodeIds: [], busy: false }));
      g.indexes.push(index);
      g.nodeIds.push(r.nodeId);
    });
    this.groups = [...byInterval.values()];
  }

  async start(): Promise<void> {
    this.maxNodesPerRead = await this.readMaxNodesPerRead();
    for (const g of this.groups) {
      this.timers.push(setInterval(() => void this.poll(g), g.intervalMs));
      void this.poll(g);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  private async readMaxNodesPerRead(): Promise<number> {
    try {
      const dv = await this.session.read({ nodeId: `i=${VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead}`, attributeId: AttributeIds.Value });
      return dv.statusCode.isGood() && typeof dv.value.value === 'number' ? dv.value.value : 0;
    } catch {
      return 0;
    }
  }

  private async poll(g: PollGroup): Promise<void> {
    if (this.stopped) return;
    if (g.busy) {
      this.handlers.onOverrun();
      return;
    }
    g.busy = true;
    try {
      const chunk = this.maxNodesPerRead > 0 ? this.maxNodesPerRead : g.nodeIds.length;
      for (let i = 0; i < g.nodeIds.length && !this.stopped; i += chunk) {
        const nodesToRead = g.nodeIds.slice(i, i + chunk).map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value }));
        const values = await this.session.read(nodesToRead, 0);
        if (!this.stopped) this.handlers.onValues(g.indexes.slice(i, i + chunk), values);
      }
    } catch (e) {
      if (!this.stopped) this.handlers.onFailure(e as Error);
    } finally {
      g.busy = false;
    }
  }
}

