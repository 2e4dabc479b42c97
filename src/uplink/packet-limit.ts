import { fragment } from '../outbox/body';
import type { BlockRef } from '../outbox/types';
import { decodeMessage, type MessageEncoder } from './codec';

/** MQTT 5 reason code "packet too large" (a PUBACK's or a DISCONNECT's). */
export const PACKET_TOO_LARGE = 0x95;

/** Below this a learned limit stops halving (a broker that refuses even that is misconfigured). */
const MIN_LEARNED = 1024;

/**
 * Bytes of a QoS 1 PUBLISH besides its payload, at most: fixed header (1, plus a remaining length
 * of up to 4), topic (2 + its UTF-8 bytes), packet id (2), MQTT 5 property length (1; the uplink
 * sends no properties).
 */
export function publishOverhead(topic: string): number {
  return 10 + Buffer.byteLength(topic);
}

/**
 * The largest PUBLISH the broker takes. An MQTT 5 broker may announce a Maximum Packet Size in its
 * CONNACK and drops the connection on a larger packet (Mosquitto's `max_packet_size`; cloud
 * brokers have their own caps, e.g. 128 KB), so a backlog block above it would be sent, dropped
 * and re-sent forever. A broker that refuses a publish as too large (PUBACK 0x95) without
 * announcing a limit teaches one: half of what it refused, kept until the gateway restarts.
 */
export class PacketLimit {
  private announced = Infinity;
  private learned = Infinity;

  /** On each CONNACK: its Maximum Packet Size (undefined: none announced, or MQTT 3.1.1). */
  connected(maximumPacketSize: number | undefined): void {
    this.announced = maximumPacketSize !== undefined && maximumPacketSize > 0 ? maximumPacketSize : Infinity;
  }

  /** The broker refused a packet of this many bytes as too large. */
  refused(packetBytes: number): void {
    this.learned = Math.max(MIN_LEARNED, Math.min(this.learned, Math.floor(packetBytes / 2)));
  }

  /** The packet size in force (Infinity: no limit known). */
  get packetBytes(): number {
    return Math.min(this.announced, this.learned);
  }

  /** The largest payload a PUBLISH on `topic` may carry. */
  maxPayload(topic: string): number {
    return this.packetBytes - publishOverhead(topic);
  }
}

/** The parts of a message split under a limit; their blocks are acked when every part is. */
export interface SplitGroup {
  readonly blocks: readonly BlockRef[];
  /** Parts not acknowledged yet. */
  left: number;
  /** A part was refused or given up: the blocks went back to the outbox, nothing is acked. */
  failed: boolean;
}

export interface MessagePart {
  readonly payload: Buffer;
  readonly records: number;
}

export type SplitResult =
  | { readonly ok: true; readonly parts: MessagePart[] }
  /** One record alone is larger than the limit: it cannot go to this broker. */
  | { readonly ok: false; readonly recordId: string; readonly recordBytes: number };

/**
 * Re-frames a message's records into messages of at most `maxPayload` bytes each, in record
 * order. The rare path (a broker whose limit is below the batch or block size): the message is
 * parsed and its records serialised again, which the usual drain never does.
 */
export function splitMessage(payload: Buffer, encoder: MessageEncoder, maxPayload: number): SplitResult {
  const msg = decodeMessage(payload);
  const frags = msg.records.map((r) => Buffer.from(fragment(r.id, r.ts, JSON.stringify(r.payload))));
  // header + "]}" (+ deflate's own framing, when on, which only makes a part smaller than this)
  const empty = encoder.encode(msg.class, msg.asset, []);
  const base = empty.length;
  encoder.recycle(empty);
  const parts: MessagePart[] = [];
  let cur: { body: Buffer }[] = [];
  let bytes = 0; // of cur's records with the commas between them
  const flush = () => {
    if (cur.length === 0) return;
    parts.push({ payload: encoder.encode(msg.class, msg.asset, cur), records: cur.length }); // the encoder puts the commas in
    cur = [];
    bytes = 0;
  };
  for (let i = 0; i < frags.length; i++) {
    const f = frags[i]!;
    if (base + f.length > maxPayload) return { ok: false, recordId: msg.records[i]!.id, recordBytes: base + f.length };
    if (cur.length > 0 && base + bytes + 1 + f.length > maxPayload) flush();
    bytes += (cur.length > 0 ? 1 : 0) + f.length;
    cur.push({ body: f });
  }
  flush();
  return { ok: true, parts };
}
