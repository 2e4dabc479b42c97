import type { BodyRecord } from './types';

/**
 * Block bodies: each record is stored as the JSON object the wire format's `records` array
 * carries (docs/mqtt.md), and a block's records are joined by ",". The uplink builds a message by
 * concatenating bodies, so draining needs no per-record objects and no JSON.stringify.
 */
export function fragment(id: string, ts: number, payloadJson: string): string {
  // ids are `<gateway>:<seq>` with a gateway id of [A-Za-z0-9_-]: nothing to escape. A finite
  // number prints the same in a template as in JSON.stringify.
  return `{"id":"${id}","ts":${ts},"payload":${payloadJson}}`;
}

/** The records of a body (rare paths only: thinning, tests, tools). */
export function decodeBody(body: Buffer | string): BodyRecord[] {
  return JSON.parse(`[${typeof body === 'string' ? body : body.toString('utf8')}]`) as BodyRecord[];
}

/** Records back to a body; payloads are serialised again. */
export function encodeBody(records: readonly BodyRecord[]): string {
  return records.map((r) => fragment(r.id, r.ts, JSON.stringify(r.payload))).join(',');
}
