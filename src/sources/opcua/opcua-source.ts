import { type ClientSession, type ClientSubscription, type DataValue, type OPCUAClient, StatusCodes } from 'node-opcua';
import { Backoff } from '../../core/backoff';
import { errorMessage } from '../../core/errors';
import type { LinkState, ModuleHealth } from '../../core/lifecycle';
import { ColumnBatchBuilder, samplesBatch } from '../../core/batch';
import { tagId } from '../../core/sample';
import { SourceEmitter, type Source, type SourceStats } from '../../core/source';
import type { Logger } from '../../observability/logger';
import type { OpcuaNodeConfig, OpcuaSourceConfig } from './config';
import { createSubscription, type MonitorHandlers, monitorNodes } from './opcua-monitor';
import { OpcuaPoller } from './opcua-poll';
import { type Resolved, resolveNodes } from './opcua-resolve';
import { NO_LIMITS, readOperationLimits, runLimits, type RunLimits } from './opcua-limits';
import { acquireCertificateManager, type CertificateManagerLease, explainConnectError, pkiPaths, userIdentity } from './opcua-security';
import { createOpcuaClient, enableSessionResume, silenceLimitMs, withTimeout } from './opcua-client';
import { addDataValue, badSample } from './status-quality';
import { routeNodeOpcuaLogs } from './opcua-logs';

export type OpcuaStats = SourceStats & Record<string, number>;

/** Everything that belongs to one connection attempt; replaced as a whole on reconnect. */
interface Connection {
  readonly gen: number;
  client: OPCUAClient;
  session?: ClientSession;
  subscription?: ClientSubscription;
  handlers?: MonitorHandlers;
  poller?: OpcuaPoller;
  /** Per-call sizes of the bulk calls: the server's published limits, read once per session, lowered when it refuses more. */
  limits: RunLimits;
  lastActivity: number;
  /** Indexes of nodes the server refused; retried every retryRejectedNodesMs. */
  readonly rejected: Set<number>;
  retrying?: boolean;
  /** Fallback rebuild when node-opcua's session resume does not finish in time. */
  resumeDeadline?: NodeJS.Timeout;
}

/**
 * One OPC-UA endpoint, two ways back after a loss:
 * - resume (subscribe mode, connection lost while the session lives on the server: a network
 *   outage, a proxy or switch restart): node-opcua re-creates the channel, re-activates the same
 *   session and republishes; the subscription and its monitored items are kept (see
 *   enableSessionResume). Tags are bad while the link is down, good again with the next values.
 * - rebuild (everything else: server restarted, session or subscription gone, resume not done
 *   within the session timeout, mode poll, silence beyond the keep-alive): the client, session
 *   and subscription are rebuilt from the config with our backoff, browse paths re-resolved and
 *   every monitored item re-created in bulk, the same code path as the first connect.
 */
export class OpcuaSource extends SourceEmitter implements Source {
  readonly id: string;
  readonly name: string;
  private readonly tags: string[];
  private readonly backoff: Backoff;
  private conn: Connection | undefined;
  private gen = 0;
  private state: LinkState = 'stopped';
  private detail: string | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private retry: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private pki: CertificateManagerLease | undefined;
  /** Values of the publish response being walked (sparse: each names its node's index). */
  private readonly pending: ColumnBatchBuilder;
  /** One cyclic read's values (mode poll). */
  private readonly polled: ColumnBatchBuilder;
  private readonly goodbyes = new Set<Promise<void>>();
  private flushQueued = false;
  private batchTs = 0;
  private counts = { errors: 0, reconnects: 0, resumes: 0, rebuilds: 0, rejectedNodes: 0, overruns: 0, connects: 0 };

  constructor(
    private readonly cfg: OpcuaSourceConfig,
    private readonly deps: { logger: Logger; dataDir: string },
  ) {
    super();
    this.id = cfg.id;
    this.name = `source ${cfg.id}`;
    this.tags = cfg.nodes.map((n) => tagId(cfg.id, n.name));
    // one layout, the node list, for every delivery: a router maps node index -> channel once
    const layout = { tags: this.tags };
    this.pending = new ColumnBatchBuilder(layout, Math.min(this.tags.length, 1024), true, true);
    this.polled = new ColumnBatchBuilder(layout, Math.min(this.tags.length, 1024), true, true);
    this.backoff = new Backoff(cfg.reconnect);
    routeNodeOpcuaLogs(deps.logger);
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.setState('starting', this.cfg.endpoint);
    this.watchdog = setInterval(() => this.checkSilence(), 250);
    this.retryTimer = setInterval(() => void this.retryRejected(), this.cfg.retryRejectedNodesMs);
    this.reconnect();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchdog);
    clearInterval(this.retryTimer);
    if (this.retry) {
      clearTimeout(this.retry.timer);
      this.retry.resolve();
    }
    await this.loop;
    await this.teardown();
    await Promise.all(this.goodbyes);
    await this.pki?.release();
    this.pki = undefined;
    this.setState('stopped');
  }

  health(): ModuleHealth {
    return { healthy: this.state === 'up', state: this.state, detail: this.detail };
  }

  stats(): OpcuaStats {
    return { ...this.delivered, ...this.counts };
  }

  private reconnect(): void {
    this.loop ??= this.connectLoop().finally(() => (this.loop = undefined));
  }

  private async connectLoop(): Promise<void> {
    while (!this.stopping) {
      const t0 = Date.now();
      try {
        await this.establish();
        this.backoff.reset();
        return;
      } catch (e) {
        this.counts.errors++;
        this.teardownInBackground(); // no need to wait for a goodbye the server may never answer
        if (this.stopping) return;
        this.setState('down', `${this.cfg.endpoint}: ${explainConnectError(errorMessage(e), this.cfg, pkiPaths(this.deps.dataDir))}`);
        // The delay counts from the start of the attempt: one that timed out (a silent path) has
        // waited already, and the next starts at once, so a path that comes back while an
        // attempt hangs costs at most connectTimeoutMs, not connectTimeoutMs + the backoff.
        await this.sleep(Math.max(0, this.backoff.next() - (Date.now() - t0)));
        // `pdm-gateway pki trust` runs in another process; node-opcua learns of it from file-watcher
        // events, which can come late or not at all. Re-scan the PKI folders before the next attempt.
        await this.pki?.cm.reloadCertificates().catch((err: unknown) => this.deps.logger.debug({ source: this.id, err: errorMessage(err) }, 'pki reload failed'));
      }
    }
  }

  private async establish(): Promise<void> {
    const gen = ++this.gen;
    this.pki ??= await acquireCertificateManager(this.deps.dataDir, this.cfg.trustUnknownServerCertificate);
    const client = createOpcuaClient(this.cfg, this.pki.cm);
    const conn: Connection = { gen, client, limits: runLimits(NO_LIMITS), lastActivity: Date.now(), rejected: new Set() };
    this.conn = conn;
    client.on('connection_lost', () => (conn.session && conn.subscription ? this.interrupted(conn, 'connection lost') : this.lost(gen, 'connection lost')));
    client.on('close', (err?: Error | null) => err && this.lost(gen, `connection closed: ${err.message}`));
    await withTimeout(client.connect(this.cfg.endpoint), this.cfg.connectTimeoutMs, 'connect');
    const session = await withTimeout(client.createSession(userIdentity(this.cfg)), this.cfg.requestTimeoutMs, 'create session');
    conn.session = session;
    session.on('session_closed', () => this.lost(gen, 'session closed by the server'));
    session.on('keepalive_failure', () => this.lost(gen, 'session keep-alive failed'));
    session.on('session_restored', () => this.resumed(conn));
    conn.limits = runLimits(await readOperationLimits(session), (kind, refused, size) =>
      this.deps.logger.warn({ source: this.id, call: kind, refused, size }, `${this.cfg.endpoint}: the server refused ${refused} ${kind} operations in one call (BadTooManyOperations, beyond the limits it publishes): sending ${size} per call from now on`),
    );
    const resolved = await resolveNodes(session, this.cfg.nodes, conn.limits.translate);
    const entries = resolved.map((r, index) => ({ index, r }));
    const onRejected = (index: number, status: { code: number; text: string }): void => {
      this.counts.rejectedNodes++;
      const again = conn.rejected.has(index);
      conn.rejected.add(index);
      this.deps.logger[again ? 'debug' : 'warn']({ source: this.id }, `${this.cfg.endpoint}: node ${describeNode(this.cfg, index)} is bad: ${status.text}`);
      this.deliver(samplesBatch([badSample(this.tags[index] as string, status, Date.now())]));
    };
    if (this.cfg.mode === 'subscribe') {
      const sub = await createSubscription(session, this.cfg);
      conn.subscription = sub;
      sub.on('keepalive', () => (conn.lastActivity = Date.now()));
      sub.on('terminated', () => this.lost(gen, 'subscription terminated'));
      conn.handlers = {
        onValue: (i, dv) => this.onValue(conn, i, dv),
        onRejected,
        onAccepted: (i) => conn.rejected.delete(i),
      };
      await monitorNodes(sub, this.cfg, entries, conn.handlers, conn.limits.monitor);
    } else {
      conn.handlers = { onValue: () => undefined, onRejected, onAccepted: (i) => conn.rejected.delete(i) };
      this.rejectUnresolved(entries, conn.handlers);
      conn.poller = new OpcuaPoller(session, this.cfg, entries, conn.limits.read, {
        onValues: (idx, dvs) => this.onValues(conn, idx, dvs),
        onFailure: (err) => this.lost(gen, `read failed: ${err.message}`),
        onOverrun: () => this.counts.overruns++,
      });
      conn.poller.start();
    }
    conn.lastActivity = Date.now();
    this.counts.connects++;
    if (conn.subscription) enableSessionResume(client, () => this.lost(gen, 'session lost (server restarted?): rebuilding', true));
    this.setState('up', this.cfg.endpoint);
  }

  /** The connection dropped under a live session: node-opcua is re-establishing it; tags are bad meanwhile. */
  private interrupted(conn: Connection, reason: string): void {
    if (this.stopping || conn !== this.conn || this.state !== 'up') return;
    this.counts.reconnects++;
    this.setState('down', `${this.cfg.endpoint}: ${reason}; resuming the session`);
    this.markAllBad(reason);
    // past the session timeout the server has dropped the session: nothing left to resume
    conn.resumeDeadline = setTimeout(() => this.lost(conn.gen, `session not resumed within ${this.cfg.sessionTimeoutMs} ms`, true), this.cfg.sessionTimeoutMs);
  }

  /** The old session is active again on a new channel, with its subscription and monitored items. */
  private resumed(conn: Connection): void {
    if (this.stopping || conn !== this.conn) return;
    clearTimeout(conn.resumeDeadline);
    conn.lastActivity = Date.now();
    this.counts.resumes++;
    this.setState('up', this.cfg.endpoint);
  }

  /**
   * node-opcua emits one event per monitored item while it walks a publish response; collect them
   * and hand the whole response on as one batch (one emit per publish, not per item).
   */
  private onValue(conn: Connection, index: number, dv: DataValue): void {
    if (this.conn !== conn) return;
    if (!this.flushQueued) {
      // one receive time per publish response (all its values arrived together): one clock read, not 10 000
      this.batchTs = Date.now();
      conn.lastActivity = this.batchTs;
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
    addDataValue(this.pending, index, this.tags[index] as string, dv, this.batchTs);
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    this.deliver(this.pending);
    this.pending.reset();
  };

  private onValues(conn: Connection, indexes: readonly number[], dvs: readonly DataValue[]): void {
    if (this.conn !== conn) return;
    const now = Date.now();
    conn.lastActivity = now;
    const b = this.polled;
    b.reset();
    for (let i = 0; i < indexes.length; i++) {
      const index = indexes[i] as number;
      addDataValue(b, index, this.tags[index] as string, dvs[i] as DataValue, now);
    }
    this.deliver(b);
  }

  /**
   * A lost connection: mark every tag bad once, rebuild everything. `resuming`: the link is
   * already down (a resume that failed), its tags already bad.
   */
  private lost(gen: number, reason: string, resuming = false): void {
    if (this.stopping || gen !== this.gen || (this.state !== 'up' && !resuming)) return;
    if (!resuming || this.state === 'up') {
      this.counts.reconnects++;
      this.markAllBad(reason);
    }
    this.counts.rebuilds++;
    this.setState('down', `${this.cfg.endpoint}: ${reason}`);
    this.gen++; // late events of the old connection are ignored from now on
    // the old client says goodbye in the background: over a dead link its CloseSession would
    // hold up the new connection for the full disconnect bound
    this.teardownInBackground();
    this.reconnect();
  }

  private markAllBad(reason: string): void {
    const now = Date.now();
    const status = { code: StatusCodes.BadConnectionClosed.value, text: `BadConnectionClosed: ${reason}` };
    this.deliver(samplesBatch(this.tags.map((t) => badSample(t, status, now))));
  }

  /** mode poll: nodes whose browse path did not resolve are bad (and tried again); the others are read. */
  private rejectUnresolved(entries: readonly { index: number; r: Resolved }[], handlers: MonitorHandlers): void {
    for (const { index, r } of entries) {
      if ('error' in r) handlers.onRejected(index, r.error);
      else handlers.onAccepted?.(index);
    }
  }

  /**
   * Nodes the server refused (not there yet, a PLC program not downloaded, a typo fixed on the
   * server side) are tried again, browse paths resolved again, without touching the others:
   * monitored in subscribe mode, added to their poll group in poll mode.
   */
  private async retryRejected(): Promise<void> {
    const conn = this.conn;
    if (!conn || this.state !== 'up' || conn.retrying || conn.rejected.size === 0 || !conn.session || !conn.handlers) return;
    conn.retrying = true;
    try {
      const indexes = [...conn.rejected];
      const resolved = await resolveNodes(conn.session, indexes.map((i) => this.cfg.nodes[i] as OpcuaNodeConfig), conn.limits.translate);
      if (this.conn !== conn) return;
      const entries = resolved.map((r, k) => ({ index: indexes[k] as number, r }));
      if (conn.subscription) await monitorNodes(conn.subscription, this.cfg, entries, conn.handlers, conn.limits.monitor);
      else if (conn.poller) {
        this.rejectUnresolved(entries, conn.handlers);
        conn.poller.add(entries);
      }
    } catch (e) {
      this.deps.logger.debug({ source: this.id }, `${this.cfg.endpoint}: retrying refused nodes failed: ${errorMessage(e)}`);
    } finally {
      conn.retrying = false;
    }
  }

  /**
   * A subscription that neither publishes nor keeps alive for too long, or a poller whose Reads
   * go unanswered, is dead even if the socket is not (a black-holed path closes nothing).
   */
  private checkSilence(): void {
    const conn = this.conn;
    if (!conn || this.state !== 'up') return;
    const limit = silenceLimitMs(this.cfg);
    if (Date.now() - conn.lastActivity > limit) this.lost(conn.gen, `no ${this.cfg.mode === 'subscribe' ? 'publish' : 'Read'} response for ${limit} ms`);
  }

  /** Old connections closing while the next one is made; stop() waits for them. */
  private teardownInBackground(): void {
    const p = this.teardown();
    this.goodbyes.add(p);
    void p.finally(() => this.goodbyes.delete(p));
  }

  private async teardown(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    clearTimeout(conn.resumeDeadline);
    conn.poller?.stop();
    conn.client.removeAllListeners();
    conn.client.on('close', () => undefined);
    // A dead server does not answer CloseSession: bound the goodbye.
    await withTimeout(conn.client.disconnect(), 2000, 'disconnect').catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.retry = {
        timer: setTimeout(() => {
          this.retry = undefined;
          resolve();
        }, ms),
        resolve,
      };
    });
  }

  private setState(state: LinkState, detail?: string): void {
    if (state === this.state && detail === this.detail) return;
    this.state = state;
    this.detail = detail;
    if (state === 'down') this.deps.logger.warn({ source: this.id }, `source ${this.id} down: ${detail}`);
    else if (state === 'up') this.deps.logger.info({ source: this.id }, `source ${this.id} connected to ${detail}`);
    this.emit('state', state, detail);
  }
}

function describeNode(cfg: OpcuaSourceConfig, index: number): string {
  const n = cfg.nodes[index];
  return n ? `${n.name} (${n.nodeId ?? n.browsePath})` : String(index);
}
