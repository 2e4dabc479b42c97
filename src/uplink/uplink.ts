import mqtt, { type MqttClient } from 'mqtt';
import { Backoff } from '../core/backoff';
import { systemClock, type Clock } from '../core/clock';
import { errorMessage } from '../core/errors';
import type { LinkState, Module, ModuleHealth } from '../core/lifecycle';
import { TypedEmitter } from '../core/typed-emitter';
import type { Logger } from '../observability/logger';
import type { Outbox } from '../outbox/outbox';
import { clientOptions, inflightWindow, statusPayload } from './client-options';
import { MessageEncoder } from './codec';
import type { UplinkConfig } from './config';
import { Downlink, type CommandHandler } from './downlink';
import { Planner } from './planner';
import { DailyBudget, TokenBucket } from './rate-limit';
import type { UplinkStats } from './stats';
import { Topics } from './topics';
import { restoreBudget } from './budget-meta';
import { AckQueue } from './ack-queue';
import { blocksDelivered, blocksToRelease, pending, type Pending } from './pending';
import { RejectHold } from './reject-hold';
import { OversizeGuard } from './oversize';
import { publishOverhead } from './packet-limit';

export type { UplinkStats };

export interface UplinkOptions {
  readonly config: UplinkConfig;
  readonly outbox: Outbox;
  readonly gatewayId: string;
  readonly site: string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface UplinkEvents {
  state: (state: LinkState, detail?: string) => void;
}

const STOP_DRAIN_MS = 5000;
const WATCHDOG_MS = 5000;

/**
 * Drains the outbox to an MQTT broker: alarms first, in sequence order per class and asset, many
 * records per message, a record acked in the outbox only after the broker's PUBACK. An
 * unreachable broker is a `down` state with reconnects on a jittered backoff, never a failure.
 */
export class Uplink extends TypedEmitter<UplinkEvents> implements Module {
  readonly name = 'uplink';
  private client?: MqttClient;
  private state: LinkState = 'stopped';
  private lastError?: string;
  private readonly topics: Topics;
  private readonly clientId: string;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly downlink: Downlink;
  private readonly msgBucket?: TokenBucket;
  private readonly byteBucket?: TokenBucket;
  private readonly budget: DailyBudget;
  private queue: Pending[] = [];
  private readonly acks: AckQueue;
  private readonly encoder: MessageEncoder;
  private readonly planner: Planner;
  private readonly rejects: RejectHold;
  private readonly oversize: OversizeGuard;
  private readonly inFlight = new Set<Pending>();
  private pumping = false;
  private pumpQueued = false;
  private waitTimer?: NodeJS.Timeout;
  private waitAt = 0;
  /**
   * The PUBACK watchdog's clock: the last PUBACK, (re)connect, or publish into an empty window.
   * With messages in flight and nothing since for ackTimeoutMs, the link is dead; a slow link
   * acking a large window in order is not, however long the window's last message waits.
   */
  private lastProgressAt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private readonly c = { recordsSent: 0, messagesSent: 0, bytesSent: 0, errors: 0, connects: 0, disconnects: 0, rateLimited: 0, ackTimeouts: 0, inflightPeak: 0 };
  /** Data messages allowed in flight now (see inflightWindow()). */
  private window: number;
  private readonly onAppended = () => this.schedulePump();

  constructor(private readonly opts: UplinkOptions) {
    super();
    const cfg = opts.config;
    this.clock = opts.clock ?? systemClock;
    this.window = cfg.inflight;
    this.topics = new Topics(cfg.topicPrefix, opts.site, opts.gatewayId);
    this.clientId = cfg.clientId ?? `pdm-${opts.gatewayId}`;
    this.backoff = new Backoff({ initialMs: cfg.reconnect.initialMs, maxMs: cfg.reconnect.maxMs });
    this.downlink = new Downlink(cfg.downlink, this.clock, opts.logger, this.topics.cmd);
    if (cfg.rate.messagesPerSecond) this.msgBucket = new TokenBucket(cfg.rate.messagesPerSecond, this.clock);
    if (cfg.rate.bytesPerSecond) this.byteBucket = new TokenBucket(cfg.rate.bytesPerSecond, this.clock);
    this.budget = new DailyBudget(cfg.rate.dailyBudgetBytes, cfg.rate.thinAtRatio, this.clock);
    this.acks = new AckQueue(opts.outbox, this.budget, opts.logger, () => this.c.errors++);
    this.encoder = new MessageEncoder(opts.gatewayId, opts.site, cfg.batch.deflate);
    // A refused publish holds its class on the reconnect backoff's settings.
    this.rejects = new RejectHold({ initialMs: cfg.reconnect.initialMs, maxMs: cfg.reconnect.maxMs });
    this.oversize = new OversizeGuard({
      logger: opts.logger, url: cfg.url, encoder: this.encoder, topicOf: (b) => this.topics.data(b.cls, b.asset),
      refuse: (b, err) => this.refused(b, this.topics.data(b.cls, b.asset), err), release: (blocks) => opts.outbox.release(blocks),
    });
    this.planner = new Planner(opts.outbox, cfg, this.budget, this.clock, (ms) => this.wakeIn(ms), (cls) => this.rejects.heldFor(cls, Date.now()), () => this.oversize.batchBytes(cfg.batch.maxBytes));
    this.downlink.register('ping', () => ({ pong: this.clock.now() }));
    this.downlink.register('stats', () => ({ uplink: this.stats(), outbox: this.opts.outbox.stats() }));
    this.downlink.register('flush', () => {
      this.planner.flushing = true;
      this.schedulePump();
      return { backlog: this.opts.outbox.totalRecords() };
    });
  }

  /** Adds a downlink command; it runs only if also listed in `uplink.downlink.allow`. */
  registerCommand(cmd: string, handler: CommandHandler): void {
    this.downlink.register(cmd, handler);
  }

  async start(): Promise<void> {
    if (this.client) return;
    const { config, gatewayId, logger } = this.opts;
    const options = clientOptions(config, this.clientId, this.topics.status, gatewayId, this.clock.now());
    this.setState('starting');
    restoreBudget(this.budget, this.opts.outbox, this.opts.logger);
    const client = mqtt.connect(config.url, options);
    this.client = client;
    client.on('connect', (connack) => this.onConnect(client, connack.properties));
    client.on('close', () => this.onClose(client));
    client.on('disconnect', (packet) => client === this.client && this.oversize.onDisconnect(client, packet.reasonCode, this.inFlight));
    client.on('error', (e) => this.onError(e));
    client.on('message', (topic, payload) => this.onMessage(client, topic, payload));
    this.opts.outbox.on('appended', this.onAppended);
    this.opts.outbox.on('readable', this.onAppended);
    // Storage reads off the publishing thread (the outbox's lease() then waits for them).
    if (config.readAhead) this.opts.outbox.enableReadAhead();
    this.watchdog = setInterval(() => this.checkAcks(client), Math.min(WATCHDOG_MS, config.ackTimeoutMs / 2));
    this.watchdog.unref();
    if (config.qos === 0) logger.warn({ url: config.url }, 'uplink: qos 0 (allowLoss: true): records are acked without a PUBACK and those in flight when the link breaks are lost');
    logger.info({ url: config.url, clientId: this.clientId, protocolVersion: config.protocolVersion }, 'uplink: connecting');
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.opts.outbox.off('appended', this.onAppended);
    this.opts.outbox.off('readable', this.onAppended);
    clearTimeout(this.waitTimer);
    clearTimeout(this.reconnectTimer);
    clearInterval(this.watchdog);
    // Finish the work in flight (bounded), announce offline, then close.
    const deadline = this.clock.now() + STOP_DRAIN_MS;
    while (this.inFlight.size > 0 && client.connected && Date.now() < deadline) await sleep(20);
    this.client = undefined;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (client.connected) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1000);
        client.publish(this.topics.status, statusPayload('offline', this.opts.gatewayId, this.clock.now()), { qos: 1, retain: true }, () => {
          clearTimeout(t);
          r();
        });
      });
    }
    await new Promise<void>((r) => client.end(true, {}, () => r()));
    this.acks.flush(true);
    const leftovers = [...this.queue, ...this.inFlight].flatMap(blocksToRelease);
    this.queue = [];
    this.inFlight.clear();
    try {
      this.opts.outbox.release(leftovers);
    } catch {
      // The outbox is already closed: leases die with it and every record is offered again at start.
    }
    this.setState('stopped');
  }

  health(): ModuleHealth {
    const where = `${this.opts.config.url}`;
    if (this.state === 'up') {
      const refused = this.rejects.problem();
      return refused ? { healthy: false, state: 'up', detail: `broker ${where}: ${refused}` } : { healthy: true, state: 'up' };
    }
    return { healthy: false, state: this.state, detail: `broker ${where} ${this.state}${this.lastError ? `: ${this.lastError}` : ''}` };
  }

  stats(): UplinkStats {
    return {
      state: this.state,
      ...this.c,
      messagesSplit: this.oversize.messagesSplit,
      backlog: safe(() => this.opts.outbox.totalRecords()),
      inflight: this.inFlight.size,
      inflightLimit: this.window,
      queued: this.queue.length,
      budgetMode: this.budget.mode(),
      budgetSpentBytes: this.budget.spent,
      droppedForBudget: this.planner.droppedForBudget,
      ...this.rejects.counters,
      ...this.downlink.counters,
    };
  }

  private onConnect(client: MqttClient, props: { receiveMaximum?: number; maximumPacketSize?: number } | undefined): void {
    if (client !== this.client) return;
    this.c.connects++;
    const { inflight, url, batch } = this.opts.config;
    const receiveMaximum = props?.receiveMaximum;
    this.window = inflightWindow(inflight, receiveMaximum);
    if (this.window < inflight) this.opts.logger.info({ url, inflight, receiveMaximum, window: this.window }, 'uplink: the broker\'s Receive Maximum lowers the in-flight window');
    this.oversize.limit.connected(props?.maximumPacketSize);
    if (props?.maximumPacketSize !== undefined && props.maximumPacketSize < batch.maxBytes + 1024) {
      this.opts.logger.info({ url, maximumPacketSize: props.maximumPacketSize, batchMaxBytes: batch.maxBytes }, 'uplink: the broker\'s Maximum Packet Size is below uplink.batch.maxBytes: messages are made smaller, and a block too large is split');
    }
    this.backoff.reset();
    this.lastProgressAt = Date.now(); // mqtt.js has just re-sent what was in flight
    this.lastError = undefined;
    this.opts.logger.info({ url: this.opts.config.url }, 'uplink: connected');
    client.publish(this.topics.status, statusPayload('online', this.opts.gatewayId, this.clock.now()), { qos: 1, retain: true });
    if (this.opts.config.downlink.enabled) client.subscribe(this.topics.cmd, { qos: 1 });
    this.setState('up');
    this.schedulePump();
  }

  private onClose(client: MqttClient): void {
    if (client !== this.client) return;
    if (this.state === 'up') {
      this.c.disconnects++;
      this.opts.logger.warn({ url: this.opts.config.url, inflight: this.inFlight.size }, 'uplink: connection lost');
    }
    this.setState('down', this.lastError);
    if (this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      // Pass the stores on: a bare reconnect() starts with empty ones and would drop the QoS 1
      // messages that were in flight when the link broke (their PUBACK would never come).
      if (client === this.client) client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delay);
  }

  private onError(e: Error): void {
    this.c.errors++;
    const hint = /protocol/i.test(e.message) && this.opts.config.protocolVersion === 5 ? ' (the broker may not speak MQTT 5: set uplink.protocolVersion: 4)' : '';
    this.lastError = `${e.message}${hint}`;
    this.opts.logger.warn({ url: this.opts.config.url, err: this.lastError }, 'uplink: connection error');
  }

  private onMessage(client: MqttClient, topic: string, payload: Buffer): void {
    if (topic !== this.topics.cmd) return;
    void this.downlink.handle(payload).then((reply) => {
      if (reply && client === this.client) client.publish(this.topics.reply, JSON.stringify(reply), { qos: 1 });
    });
  }

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.state !== 'up' || this.pumping || !this.client) return;
    this.pumping = true;
    try {
      const window = this.window;
      while (this.inFlight.size < window) {
        this.queue.unshift(...this.planner.urgent().map(pending));
        if (this.queue.length === 0) {
          const next = this.planner.next(window - this.inFlight.size);
          if (next.length === 0) break;
          this.queue.push(...next.map(pending));
        }
        const b = this.queue[0]!;
        b.payload ??= this.encode(b);
        const parts = this.oversize.fit(b, b.payload);
        if (parts) {
          this.queue.shift();
          if (parts instanceof Error) this.refused(b, this.topics.data(b.cls, b.asset), parts);
          else this.queue.unshift(...parts);
          continue;
        }
        const wait = Math.max(this.msgBucket?.wait(1) ?? 0, this.byteBucket?.wait(b.payload.length) ?? 0);
        if (wait > 0) {
          this.c.rateLimited++;
          this.wakeIn(wait);
          break;
        }
        this.msgBucket?.take(1);
        this.byteBucket?.take(b.payload.length);
        this.queue.shift();
        this.send(this.client, b, b.payload);
      }
    } catch (e) {
      this.c.errors++;
      this.opts.logger.error({ err: errorMessage(e) }, 'uplink: drain failed');
      this.wakeIn(1000);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Frames a batch's message, then drops its bodies (keeping refs only): held until the PUBACK,
   * the ~55 kB body buffers outlived the young generation; dropped here they die young (the
   * drain measured ~0.2 us/record less CPU, mostly garbage collection; docs/benchmarks.md).
   */
  private encode(b: Pending): Buffer {
    const payload = this.encoder.encode(b.cls, b.asset, b.bodies ?? []);
    b.blocks = b.blocks.map(({ cls, key }) => ({ cls, key }));
    b.bodies = undefined;
    return payload;
  }

  private send(client: MqttClient, b: Pending, payload: Buffer): void {
    const topic = this.topics.data(b.cls, b.asset);
    if (this.inFlight.size === 0) this.lastProgressAt = Date.now();
    this.inFlight.add(b);
    if (this.inFlight.size > this.c.inflightPeak) this.c.inflightPeak = this.inFlight.size;
    this.budget.spend(payload.length + topic.length);
    client.publish(topic, payload, { qos: this.opts.config.qos }, (err) => {
      if (!this.inFlight.delete(b) || client !== this.client) return; // stopped: leases were released
      this.lastProgressAt = Date.now();
      try {
        if (err) {
          this.c.errors++;
          // Taken back by the guard (a DISCONNECT 0x95): it refuses the class and wakes the pump; the
          // buffer is left to the GC, not recycled, as the closing socket may still hold the packet.
          if (this.oversize.publishFailed(b, payload.length + publishOverhead(topic), err)) return;
          this.refused(b, topic, err);
        } else {
          this.rejects.accepted(b.cls);
          this.acks.push(blocksDelivered(b));
          this.c.recordsSent += b.records;
          this.c.messagesSent++;
          this.c.bytesSent += payload.length;
        }
        // Acknowledged (or given up): mqtt.js no longer holds it, the buffer may be reused.
        this.encoder.recycle(payload);
      } catch (e) {
        this.c.errors++;
        this.opts.logger.error({ err: errorMessage(e) }, 'uplink: outbox ack/release failed (records will be sent again)');
      }
      this.schedulePump();
    });
  }

  /**
   * The broker refused a publish (an MQTT 5 PUBACK reason code, see RejectHold) or mqtt.js could
   * not send it: its records, and those of its class queued behind it, go back to the outbox and
   * the class is held on a backoff; the pump wakes when the hold ends.
   */
  private refused(b: Pending, topic: string, err: Error): void {
    const code = (err as { code?: unknown }).code;
    const holdMs = this.rejects.rejected(b.cls, typeof code === 'number' ? code : undefined, Date.now());
    const queued = this.queue.filter((q) => q.cls === b.cls);
    this.queue = this.queue.filter((q) => q.cls !== b.cls);
    for (const q of queued) if (q.payload) this.encoder.recycle(q.payload);
    this.opts.logger.warn({ topic, records: b.records, err: err.message, reasonCode: code, holdMs }, 'uplink: publish refused, records released, class held');
    this.opts.outbox.release([...blocksToRelease(b), ...queued.flatMap(blocksToRelease)]);
    this.wakeIn(holdMs);
  }

  /** The PUBACK watchdog: a link that stopped acking is dropped; mqtt.js re-sends on reconnect. */
  private checkAcks(client: MqttClient): void {
    if (client !== this.client || this.state !== 'up') return;
    if (this.inFlight.size === 0 || Date.now() - this.lastProgressAt < this.opts.config.ackTimeoutMs) return;
    this.c.ackTimeouts++;
    this.opts.logger.warn({ url: this.opts.config.url, inflight: this.inFlight.size, timeoutMs: this.opts.config.ackTimeoutMs }, 'uplink: no PUBACK in time, reconnecting');
    client.stream.destroy();
  }

  /** Wakes the pump after `ms` unless an earlier wake-up is already set. */
  private wakeIn(ms: number): void {
    const at = Date.now() + ms;
    if (this.waitTimer && this.waitAt <= at) return;
    clearTimeout(this.waitTimer);
    this.waitAt = at;
    this.waitTimer = setTimeout(() => {
      this.waitTimer = undefined;
      this.schedulePump();
    }, Math.max(1, ms));
  }

  private setState(s: LinkState, detail?: string): void {
    if (s === this.state) return;
    this.state = s;
    this.emit('state', s, detail);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function safe(f: () => number): number {
  try {
    return f();
  } catch {
    return -1;
  }
}
