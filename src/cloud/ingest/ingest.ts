import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { errorMessage } from '../../core/errors';
import type { LinkState, Module, ModuleHealth } from '../../core/lifecycle';
import type { Logger } from '../../observability/logger';
import { decodeMessage } from '../../uplink/codec';
import { dataFilter } from '../../uplink/topics';
import { IngestStore } from './store';

export interface CloudIngestOptions {
  readonly url: string;
  /** SQLite file of the received records (`:memory:` works). */
  readonly file: string;
  readonly logger: Logger;
  /** Stable id: the subscription is a persistent session, so an outage of this side loses nothing either. */
  readonly clientId?: string;
  readonly topicPrefix?: string;
  /** Extra mqtt.js options (TLS, credentials, protocolVersion). */
  readonly mqtt?: IClientOptions;
}

export interface CloudIngestStats {
  state: LinkState;
  messages: number;
  records: number;
  duplicates: number;
  gaps: number;
  malformed: number;
}

/**
 * The cloud end for tests and the demo: subscribes to every gateway's records at QoS 1 with a
 * persistent session and writes them to SQLite, deduplicating by record id and recording gaps.
 */
export class CloudIngest implements Module {
  readonly name = 'cloud-ingest';
  private client?: MqttClient;
  private storeRef?: IngestStore;
  private state: LinkState = 'stopped';
  private readonly c = { messages: 0, records: 0, duplicates: 0, gaps: 0, malformed: 0 };
  /** Latest retained status per gateway (`online` / `offline`). */
  readonly statuses = new Map<string, string>();

  constructor(private readonly opts: CloudIngestOptions) {}

  get store(): IngestStore {
    if (!this.storeRef) throw new Error('cloud ingest not started');
    return this.storeRef;
  }

  async start(): Promise<void> {
    if (this.client) return;
    this.storeRef ??= new IngestStore(this.opts.file);
    const prefix = this.opts.topicPrefix ?? 'pdm/v1';
    const client = mqtt.connect(this.opts.url, { clientId: this.opts.clientId ?? 'pdm-cloud-ingest', clean: false, reconnectPeriod: 200, ...this.opts.mqtt });
    this.client = client;
    this.state = 'starting';
    client.on('connect', (ack) => {
      this.state = 'up';
      if (!ack.sessionPresent) client.subscribe([dataFilter(prefix), `${prefix}/+/+/status`], { qos: 1 });
    });
    client.on('close', () => {
      if (this.client === client) this.state = 'down';
    });
    client.on('error', (e) => this.opts.logger.warn({ err: errorMessage(e) }, 'cloud-ingest: connection error'));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await new Promise<void>((r) => client.end(true, {}, () => r()));
    this.storeRef?.close();
    this.storeRef = undefined;
    this.state = 'stopped';
  }

  health(): ModuleHealth {
    return this.state === 'up' ? { healthy: true, state: 'up' } : { healthy: false, state: this.state, detail: `broker ${this.opts.url} ${this.state}` };
  }

  stats(): CloudIngestStats {
    return { state: this.state, ...this.c };
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic.endsWith('/status')) {
      try {
        const s = JSON.parse(payload.toString('utf8')) as { gateway?: string; state?: string };
        if (s.gateway && s.state) this.statuses.set(s.gateway, s.state);
      } catch {
        this.c.malformed++;
      }
      return;
    }
    try {
      const m = decodeMessage(payload);
      const r = this.store.ingest(m);
      this.c.messages++;
      this.c.records += r.records;
      this.c.duplicates += r.duplicates;
      this.c.gaps += r.gaps;
    } catch (e) {
      this.c.malformed++;
      this.opts.logger.warn({ topic, err: errorMessage(e).slice(0, 300) }, 'cloud-ingest: malformed message dropped');
    }
  }
}
