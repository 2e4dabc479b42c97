import { AttributeIds, type ClientSession, type DataValue, type NodeId } from 'node-opcua';
import type { OpcuaSourceConfig } from './config';
import { inRuns, type RunLimit } from './opcua-limits';
import type { Resolved } from './opcua-resolve';

interface PollGroup {
  readonly intervalMs: number;
  readonly indexes: number[];
  readonly nodeIds: NodeId[];
  busy: boolean;
  timer?: NodeJS.Timeout;
}

export interface PollHandlers {
  onValues(indexes: readonly number[], values: readonly DataValue[]): void;
  /** The session failed a Read: the caller rebuilds the connection. */
  onFailure(err: Error): void;
  onOverrun(): void;
}

/**
 * Cyclic Read for servers with weak subscription support: one Read request per interval group
 * (in runs when the server's MaxNodesPerRead, published or found by a refusal, says so).
 */
export class OpcuaPoller {
  private readonly groups = new Map<number, PollGroup>();
  private started = false;
  private stopped = false;

  /** `readLimit`: Reads of at most this many nodes (the server's MaxNodesPerRead; see inRuns); `entries` carry each node's index in the source's node list. */
  constructor(
    private readonly session: ClientSession,
    private readonly cfg: OpcuaSourceConfig,
    entries: readonly { index: number; r: Resolved }[],
    private readonly readLimit: RunLimit,
    private readonly handlers: PollHandlers,
  ) {
    this.add(entries);
  }

  /**
   * Adds resolved nodes to their interval groups (nodes that failed to resolve are left out:
   * the source tries them again). A node added while polling runs is read from the next cycle.
   */
  add(entries: readonly { index: number; r: Resolved }[]): void {
    for (const { index, r } of entries) {
      if ('error' in r) continue;
      const intervalMs = r.node.pollIntervalMs ?? this.cfg.pollIntervalMs;
      let g = this.groups.get(intervalMs);
      if (!g) {
        this.groups.set(intervalMs, (g = { intervalMs, indexes: [], nodeIds: [], busy: false }));
        if (this.started) this.schedule(g);
      }
      g.indexes.push(index);
      g.nodeIds.push(r.nodeId);
    }
  }

  start(): void {
    this.started = true;
    for (const g of this.groups.values()) this.schedule(g);
  }

  stop(): void {
    this.stopped = true;
    for (const g of this.groups.values()) clearInterval(g.timer);
  }

  private schedule(g: PollGroup): void {
    g.timer = setInterval(() => void this.poll(g), g.intervalMs);
    void this.poll(g);
  }

  private async poll(g: PollGroup): Promise<void> {
    if (this.stopped) return;
    if (g.busy) {
      this.handlers.onOverrun();
      return;
    }
    g.busy = true;
    try {
      // up to the length at the start of the cycle: add() only appends, and may do so while a Read is under way
      const read = async (run: NodeId[], i: number): Promise<void> => {
        if (this.stopped) return;
        const values = await this.session.read(run.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })), 0);
        if (!this.stopped) this.handlers.onValues(g.indexes.slice(i, i + run.length), values);
      };
      await inRuns(g.nodeIds, this.readLimit, read, g.nodeIds.length);
    } catch (e) {
      if (!this.stopped) this.handlers.onFailure(e as Error);
    } finally {
      g.busy = false;
    }
  }
}
