import { Backoff } from '../../core/backoff';
import type { LinkState, ModuleHealth } from '../../core/lifecycle';
import { samplesBatch } from '../../core/batch';
import { SourceEmitter, type Source, type SourceStats } from '../../core/source';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../observability/logger';
import type { ModbusSourceConfig } from './config';
import { MODBUS_STATUS } from './errors';
import { buildPlan, planTags, type PlannedTag, type PollGroup } from './planner';
import { type CycleResult, CycleRunner } from './poller';
import { TagValues } from './tag-values';
import type { ModbusTransport } from './transport';
import { TcpTransport } from './transport-tcp';
import { RtuTransport } from './transport-rtu';

export type ModbusStats = SourceStats & Record<string, number>;

/**
 * One Modbus connection (TCP device or gateway, or an RTU line) with all its unit ids. Requests are
 * serialised on the connection; each poll group (unit id x interval) has its own timer and is
 * skipped (counted as an overrun) when its previous cycle is still running.
 *
 * The link is `up` only while the device answers: after a read returned data, and as long as the
 * last cycle of some poll group got an answer. A device that accepts the TCP connection but stays
 * silent, or answers only exceptions or garbage, is `down` with the last failure as the reason
 * (the connection is polled all the same, so it comes up with the first valid answer).
 */
export class ModbusSource extends SourceEmitter implements Source {
  readonly name: string;
  readonly id: string;
  private readonly transport: ModbusTransport;
  private readonly runner: CycleRunner;
  private readonly values: TagValues;
  private readonly backoff: Backoff;
  private readonly groups: PollGroup[];
  private readonly tags: PlannedTag[];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly queue: PollGroup[] = [];
  private readonly queued = new Set<PollGroup>();
  private state: LinkState = 'stopped';
  /** The transport is open and polled (not necessarily answering: see `answering`). */
  private connected = false;
  /** Poll groups whose last cycle got at least one answer with data. */
  private readonly answering = new Set<PollGroup>();
  /** Wait a backoff step before the next connection (the one lost never answered, or we dropped it over a bad frame). */
  private holdOff = false;
  private detail: string | undefined;
  private stopping = false;
  private connecting: Promise<void> | undefined;
  private worker: Promise<void> | undefined;
  private retryTimer: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private counts = { errors: 0, reconnects: 0, cycles: 0, overruns: 0 };

  constructor(
    private readonly cfg: ModbusSourceConfig,
    private readonly logger: Logger,
    transport?: ModbusTransport,
  ) {
    super();
    this.id = cfg.id;
    this.name = `source ${cfg.id}`;
    this.transport = transport ?? makeTransport(cfg);
    this.values = new TagValues();
    this.backoff = new Backoff(cfg.reconnect);
    this.tags = planTags(cfg);
    this.groups = buildPlan(cfg, this.tags);
    this.runner = new CycleRunner(cfg, this.transport, this.values, logger, cfg.transport === 'tcp');
    this.transport.onClose((reason) => this.connectionLost(reason));
  }

  /** The live plan (including splits made after illegal-address exceptions). */
  plan(): readonly PollGroup[] {
    return this.groups;
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.setState('starting');
    for (const g of this.groups) {
      this.timers.push(setInterval(() => this.tick(g), g.intervalMs));
    }
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    this.queue.length = 0;
    this.queued.clear();
    if (this.retryTimer) {
      clearTimeout(this.retryTimer.timer);
      this.retryTimer.resolve();
    }
    await this.worker;
    await this.connecting;
    await this.transport.close();
    this.connected = false;
    this.answering.clear();
    this.setState('stopped');
  }

  health(): ModuleHealth {
    return { healthy: this.state === 'up', state: this.state, detail: this.detail };
  }

  stats(): ModbusStats {
    const out: Record<string, number> = { ...this.delivered, ...this.counts, ...this.transport.counters };
    for (const [unit, c] of this.runner.units) {
      for (const [k, v] of Object.entries(c)) out[`unit${unit}_${k}`] = v;
    }
    return out as ModbusStats;
  }

  private tick(g: PollGroup): void {
    if (!this.connected || this.stopping) return;
    if (this.queued.has(g)) {
      this.counts.overruns++;
      return;
    }
    this.queued.add(g);
    this.queue.push(g);
    this.kick();
  }

  /** One worker at a time drains the queue: requests on a connection are serialised. */
  private kick(): void {
    if (this.worker || this.queue.length === 0 || this.stopping) return;
    this.worker = this.drain().finally(() => {
      this.worker = undefined;
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    for (let g = this.queue.shift(); g && !this.stopping && this.connected; g = this.queue.shift()) {
      const res = await this.runner.run(g, () => this.stopping);
      this.queued.delete(g);
      this.counts.cycles++;
      this.deliver(res.batch);
      this.judge(g, res);
      if (res.broken && !this.stopping) {
        this.counts.errors++;
        this.logger.warn({ source: this.id }, `${this.transport.endpoint}: ${res.broken.message}; reconnecting`);
        // the tags of the failed read already carry the reason; the others are read after the reconnect.
        // Wait a backoff step first: a unit that keeps sending bad frames while another answers
        // (which resets the backoff) would otherwise make a reconnect storm (thousands a second).
        this.connectionLost(res.broken.message, false, true);
        return;
      }
    }
  }

  /** Up while some poll group's last cycle was answered; else down, naming the last failure. */
  private judge(g: PollGroup, res: CycleResult): void {
    if (res.answered > 0) this.answering.add(g);
    else this.answering.delete(g);
    if (this.answering.size > 0) {
      this.backoff.reset();
      this.setState('up', this.transport.endpoint);
    } else if (res.failure) {
      this.setState('down', `connected, but no valid answer: ${res.failure.message}`);
    }
  }

  private connectionLost(reason: string, markAllBad = true, holdOff = false): void {
    if (this.stopping || !this.connected) return;
    const wasUp = this.state === 'up';
    this.connected = false;
    this.holdOff = holdOff || !wasUp;
    this.answering.clear();
    this.counts.reconnects++;
    this.setState('down', `${this.transport.endpoint}: ${reason}`);
    // tags of a link that was not up already carry the failure that kept it down
    if (markAllBad && wasUp) {
      const ts = Date.now();
      const status = { code: MODBUS_STATUS.disconnected, text: `${this.transport.endpoint}: ${reason}` };
      this.deliver(samplesBatch(this.tags.map((t) => this.values.bad(t, status, ts))));
    }
    this.values.reset();
    this.queue.length = 0;
    this.queued.clear();
    void this.transport.close().then(() => this.connect());
  }

  private connect(): Promise<void> {
    this.connecting ??= this.connectLoop().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connectLoop(): Promise<void> {
    if (this.holdOff) await this.sleep(this.backoff.next()); // a device that takes connections but never answers
    this.holdOff = false;
    while (!this.stopping) {
      try {
        await this.transport.open(this.cfg.timeoutMs);
        if (this.stopping) return;
        // not up yet: the first answer with data says the device is there (judge())
        this.connected = true;
        for (const g of this.groups) this.tick(g); // first cycle now, not one interval later
        return;
      } catch (e) {
        this.counts.errors++;
        this.setState('down', `${this.transport.endpoint}: ${errorMessage(e)}`);
        await this.sleep(this.backoff.next());
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.retryTimer = {
        timer: setTimeout(() => {
          this.retryTimer = undefined;
          resolve();
        }, ms),
        resolve,
      };
    });
  }

  private setState(state: LinkState, detail?: string): void {
    const changed = state !== this.state || detail !== this.detail;
    this.state = state;
    this.detail = detail;
    if (!changed) return;
    if (state === 'down') this.logger.warn({ source: this.id }, `source ${this.id} down: ${detail}`);
    else if (state === 'up') this.logger.info({ source: this.id }, `source ${this.id} connected to ${detail}`);
    this.emit('state', state, detail);
  }
}

function makeTransport(cfg: ModbusSourceConfig): ModbusTransport {
  if (cfg.transport === 'rtu' && cfg.serial) return new RtuTransport(cfg.serial);
  return new TcpTransport(cfg.host ?? '127.0.0.1', cfg.port);
}
