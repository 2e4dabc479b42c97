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
/** Message buffers kept for reuse (about the in-flight window plus the queue). */
const POOL_MAX = 64;

/**
 * Builds message bodies by concatenation: the outbox stores each block's records already encoded
 * as the `records` array's elements, so a message is a cached header, the block bodies joined by
 * ",", and "]}". No record is parsed or serialised when draining.
 */
export class MessageEncoder {
  private readonly headers = new Map<string, Buffer>();
  private readonly pool: ArrayBuffer[] = [];
  /** Pooled buffers handed out and not recycled yet (only these may come back). */
  private readonly issued = new WeakSet<ArrayBuffer>();

  constructor(
    private readonly gateway: string,
    private readonly site: string,
    private readonly deflate: boolean,
  ) {}

  /**
   * The message body. Without deflate it is a view of a pooled buffer: hand it back with
   * `recycle()` once the broker has acknowledged it (allocating a fresh 50-500 kB buffer per
   * message cost as much as the copy, mostly in garbage collection).
   */
  encode(cls: RecordClass, asset: string, bodies: readonly { readonly body: Buffer }[]): Buffer {
    const header = this.header(cls, asset);
    let length = header.length + TAIL.length + Math.max(0, bodies.length - 1);
    for (const b of bodies) length += b.body.length;
    const out = this.deflate ? Buffer.allocUnsafe(length) : this.take(length);
    let at = header.copy(out, 0);
    for (let i = 0; i < bodies.length; i++) {
      if (i > 0) at += COMMA.copy(out, at);
      at += bodies[i]!.body.copy(out, at);
    }
    TAIL.copy(out, at);
    return this.deflate ? deflateSync(out) : out;
  }

  /** Returns a body from `encode()` to the pool (no-op for deflated ones). */
  recycle(body: Buffer): void {
    const ab = body.buffer;
    if (this.deflate || !(ab instanceof ArrayBuffer) || !this.issued.delete(ab)) return;
    if (this.pool.length < POOL_MAX) this.pool.push(ab);
  }

  private take(length: number): Buffer {
    let i = this.pool.findIndex((ab) => ab.byteLength >= length);
    if (i < 0 && this.pool.length >= POOL_MAX) i = 0; // all too small: replace one
    let ab = i >= 0 ? this.pool.splice(i, 1)[0]! : undefined;
    if (!ab || ab.byteLength < length) ab = new ArrayBuffer(Math.max(64 * 1024, 2 ** Math.ceil(Math.log2(length))));
    this.issued.add(ab);
    return Buffer.from(ab, 0, length);
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
