import { deflateSync, inflateSync } from 'node:zlib';
import { z } from 'zod';
import { recordClass, type RecordClass } from '../outbox/config';

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
const COMMA = Buffer.from(',');
const TAIL = Buffer.from(']}');

/**
 * Builds message bodies by concatenation: the outbox stores each block's records already encoded
 * as the `records` array's elements, so a message is a cached header, the block bodies joined by
 * ",", and "]}". No record is parsed or serialised when draining.
 */
export class MessageEncoder {
  private readonly headers = new Map<string, Buffer>();

  constructor(
    private readonly gateway: string,
    private readonly site: string,
    private readonly deflate: boolean,
  ) {}

  encode(cls: RecordClass, asset: string, bodies: readonly { readonly body: Buffer }[]): Buffer {
    const header = this.header(cls, asset);
    const parts: Buffer[] = [header];
    let length = header.length + TAIL.length;
    for (let i = 0; i < bodies.length; i++) {
      if (i > 0) parts.push(COMMA);
      const b = bodies[i]!.body;
      parts.push(b);
      length += b.length + (i > 0 ? 1 : 0);
    }
    parts.push(TAIL);
    const buf = Buffer.concat(parts, length);
    return this.deflate ? deflateSync(buf) : buf;
  }

  private header(cls: RecordClass, asset: string): Buffer {
    const k = `${cls}/${asset}`;
    let h = this.headers.get(k);
    if (!h) {
      h = Buffer.from(`{"schema":${MESSAGE_SCHEMA_VERSION},"gateway":${JSON.stringify(this.gateway)},"site":${JSON.stringify(this.site)},"class":"${cls}","asset":${JSON.stringify(asset)},"records":[`);
      if (this.headers.size < 10_000) this.headers.set(k, h);
    }
    return h;
  }
}

/** Decodes and validates a message body (plain or deflated); throws with the reason. */
export function decodeMessage(body: Buffer): UplinkMessage {
  const text = body[0] === ZLIB_MAGIC ? inflateSync(body).toString('utf8') : body.toString('utf8');
  return uplinkMessage.parse(JSON.parse(text));
}
