import { deflateSync, inflateSync } from 'node:zlib';
import { z } from 'zod';
import { recordClass, type RecordClass } from '../outbox/config';
import type { OutboxRecord } from '../outbox/types';

export const MESSAGE_SCHEMA_VERSION = 1;

/** An uplink message: many records of one class and asset (docs/mqtt.md). */
export const uplinkMessage = z.strictObject({
  schema: z.literal(MESSAGE_SCHEMA_VERSION),
  gateway: z.string().min(1),
  site: z.string().min(1),
  class: recordClass,
  asset: z.string().min(1),
  records: z.array(z.strictObject({ id: z.string().min(1), ts: z.number(), payload: z.unknown() })).min(1),
});
export type UplinkMessage = z.infer<typeof uplinkMessage>;

/** First byte of a zlib stream with default settings; JSON bodies start with "{". */
const ZLIB_MAGIC = 0x78;

/**
 * Encodes by string concatenation: payloads are already JSON text in the outbox, so they are
 * spliced in rather than parsed and serialised again.
 */
export function encodeMessage(gateway: string, site: string, cls: RecordClass, asset: string, records: readonly OutboxRecord[], deflate: boolean): Buffer {
  let body = `{"schema":${MESSAGE_SCHEMA_VERSION},"gateway":${JSON.stringify(gateway)},"site":${JSON.stringify(site)},"class":"${cls}","asset":${JSON.stringify(asset)},"records":[`;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    body += `${i === 0 ? '' : ','}{"id":"${r.id}","ts":${r.ts},"payload":${r.json}}`;
  }
  body += ']}';
  const buf = Buffer.from(body);
  return deflate ? deflateSync(buf) : buf;
}

/** Decodes and validates a message body (plain or deflated); throws with the reason. */
export function decodeMessage(body: Buffer): UplinkMessage {
  const text = body[0] === ZLIB_MAGIC ? inflateSync(body).toString('utf8') : body.toString('utf8');
  return uplinkMessage.parse(JSON.parse(text));
}

/** Size a record adds to a message body, for batching by bytes. */
export function encodedSize(r: OutboxRecord): number {
  return r.json.length + r.id.length + 32;
}
