import type { MqttClient } from 'mqtt';
import type { Logger } from '../observability/logger';
import type { BlockRef } from '../outbox/types';
import type { MessageEncoder } from './codec';
import { PACKET_TOO_LARGE, PacketLimit, publishOverhead, splitMessage } from './packet-limit';
import { blocksToRelease, type Pending } from './pending';

/** What the guard needs of the uplink. */
export interface OversizeHost {
  readonly logger: Logger;
  readonly url: string;
  readonly encoder: MessageEncoder;
  topicOf(b: Pending): string;
  /** A publish the broker will not take: its blocks, and its class's queued ones, back to the outbox; the class held (Uplink.refused). */
  refuse(b: Pending, err: Error): void;
  release(blocks: readonly BlockRef[]): void;
}

/**
 * Keeps messages within the broker's packet size (see PacketLimit): batches sized to fit, a
 * message too large re-framed into parts acked together, a record that cannot fit refused, and a
 * DISCONNECT for a packet too large answered by taking the messages in flight back.
 */
export class OversizeGuard {
  readonly limit = new PacketLimit();
  messagesSplit = 0;
  /** Messages taken back from mqtt.js by onDisconnect(), until released there. */
  private pulled: Pending[] | undefined;

  constructor(private readonly host: OversizeHost) {}

  /** Bytes of bodies per message in force: `configured`, lowered to fit the broker's packets (a header and topic take well under 1 KB). */
  batchBytes(configured: number): number {
    return Math.min(configured, Math.max(1024, this.limit.packetBytes - 1024));
  }

  /**
   * Undefined when `b` fits the broker's packets and goes as it is; else what takes its place at
   * the head of the queue: its parts (acked together), or, when one record alone is too large, the
   * error to refuse it with (its class is then held like any refused publish, so the rest of the
   * backlog keeps flowing, and the operator is told).
   */
  fit(b: Pending, payload: Buffer): Pending[] | Error | undefined {
    if (this.limit.packetBytes === Infinity) return undefined; // no limit known (the usual case): no topic built
    const topic = this.host.topicOf(b);
    const max = this.limit.maxPayload(topic);
    if (payload.length <= max) return undefined;
    const split = splitMessage(payload, this.host.encoder, max);
    this.host.encoder.recycle(payload);
    if (!split.ok) {
      const why = `record ${split.recordId} needs a message of ${split.recordBytes} bytes; the broker takes packets of at most ${this.limit.packetBytes} bytes`;
      this.host.logger.error({ topic, record: split.recordId }, `uplink: ${why}: its class is held until the broker's limit is raised (Mosquitto: max_packet_size)`);
      return Object.assign(new Error(why), { code: PACKET_TOO_LARGE });
    }
    const group = b.group ?? { blocks: b.blocks, left: 1, failed: false };
    group.left += split.parts.length - 1;
    this.messagesSplit++;
    return split.parts.map((p) => ({ cls: b.cls, asset: b.asset, records: p.records, bytes: p.payload.length, blocks: [], payload: p.payload, group }));
  }

  /**
   * A publish failed. True when the guard takes care of it (a message it took back); a PUBACK
   * 0x95 (packet too large) from a broker that announced no such limit teaches one.
   */
  publishFailed(b: Pending, packetBytes: number, err: Error): boolean {
    if (this.pulled) {
      this.pulled.push(b);
      return true;
    }
    if ((err as { code?: unknown }).code === PACKET_TOO_LARGE) this.limit.refused(packetBytes);
    return false;
  }

  /**
   * The broker dropped the link with a reason (MQTT 5 DISCONNECT). For 0x95, packet too large,
   * from a broker that announced no limit (or a higher one than it enforces): the largest message
   * in flight was too large, so half its size becomes the limit, and every message in flight is
   * taken back from mqtt.js, which would otherwise send them again after the reconnect and be
   * dropped again, forever. Their records go back to the outbox as refused publishes (in order;
   * each class held once, briefly) and come out again in messages under the limit.
   */
  onDisconnect(client: MqttClient, reasonCode: number | undefined, inFlight: Iterable<Pending>): void {
    if (reasonCode !== PACKET_TOO_LARGE) return;
    let largest = 0;
    for (const b of inFlight) largest = Math.max(largest, (b.payload?.length ?? 0) + publishOverhead(this.host.topicOf(b)));
    if (largest === 0) return;
    this.limit.refused(largest);
    this.host.logger.warn({ url: this.host.url, packetBytes: largest, limitBytes: this.limit.packetBytes }, 'uplink: the broker dropped the link for a packet too large (0x95) that its CONNACK did not announce: messages in flight go back to the outbox and are sent again under the smaller limit');
    const pulled: Pending[] = (this.pulled = []);
    try {
      // mqtt.js's in-memory store calls back at once: publishFailed() collects them
      for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
    } finally {
      this.pulled = undefined;
    }
    const firstOfClass = new Map<string, Pending>();
    for (const b of pulled) {
      if (!firstOfClass.has(b.cls)) firstOfClass.set(b.cls, b);
      else this.host.release(blocksToRelease(b));
    }
    const err = Object.assign(new Error('the broker dropped the link for a packet too large (DISCONNECT 0x95)'), { code: PACKET_TOO_LARGE });
    for (const b of firstOfClass.values()) this.host.refuse(b, err);
  }
}
