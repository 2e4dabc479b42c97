import { decodeMessage, MessageEncoder } from '../../src/uplink/codec';
import { PacketLimit, publishOverhead, splitMessage } from '../../src/uplink/packet-limit';
import { fragment } from '../../src/outbox/body';

function message(enc: MessageEncoder, n: number, pad = 100): Buffer {
  const body = Array.from({ length: n }, (_, i) => fragment(`gw1:${i + 1}`, 1_700_000_000_000 + i, JSON.stringify({ i, pad: 'x'.repeat(pad) }))).join(',');
  return enc.encode('telemetry', 'a1', [{ body: Buffer.from(body) }]);
}

describe('PacketLimit', () => {
  it('takes the CONNACK Maximum Packet Size, less the PUBLISH overhead of the topic', () => {
    const l = new PacketLimit();
    expect(l.maxPayload('t')).toBe(Infinity);
    l.connected(20_000);
    expect(l.packetBytes).toBe(20_000);
    expect(publishOverhead('pdm/v1/s1/gw1/telemetry/a1')).toBe(10 + 26);
    expect(l.maxPayload('pdm/v1/s1/gw1/telemetry/a1')).toBe(20_000 - 36);
    l.connected(undefined); // a reconnect to a broker that announces none
    expect(l.packetBytes).toBe(Infinity);
  });

  it('learns half of a packet the broker refused as too large, keeps it across reconnects, and stops halving at 1 KB', () => {
    const l = new PacketLimit();
    l.refused(100_000);
    expect(l.packetBytes).toBe(50_000);
    l.connected(undefined);
    expect(l.packetBytes).toBe(50_000);
    l.refused(80_000); // a larger refusal does not raise it
    expect(l.packetBytes).toBe(40_000);
    l.connected(30_000);
    expect(l.packetBytes).toBe(30_000);
    for (let i = 0; i < 20; i++) l.refused(l.packetBytes);
    expect(l.packetBytes).toBe(1024);
  });
});

describe.each([false, true])('splitMessage (deflate %s)', (deflate) => {
  const enc = new MessageEncoder('gw1', 's1', deflate);

  it('re-frames the records into messages under the limit, in order, none lost or repeated', () => {
    const original = decodeMessage(message(enc, 500));
    const r = splitMessage(message(enc, 500), enc, 20_000);
    if (!r.ok) throw new Error('expected parts');
    const parts = r.parts.map((p) => ({ size: p.payload.length, records: p.records, msg: decodeMessage(p.payload) }));
    for (const p of parts) {
      expect(p.size).toBeLessThanOrEqual(20_000);
      expect(p.msg.records).toHaveLength(p.records);
      expect(p.msg).toMatchObject({ class: 'telemetry', asset: 'a1', gateway: 'gw1', site: 's1' });
    }
    expect(parts.flatMap((p) => p.msg.records)).toEqual(original.records);
    // plain: 500 records of ~165 bytes (~82 kB) fill 5 parts, each but the last too full for one
    // more record; deflated parts are far smaller than the limit, so they carry the raw size
    if (!deflate) {
      expect(parts.map((p) => p.records)).toEqual([122, 120, 120, 120, 18]);
      for (const p of parts.slice(0, -1)) expect(p.size).toBeGreaterThan(20_000 - 170);
    }
  });

  it('names a record that alone is larger than the limit', () => {
    const r = splitMessage(message(enc, 3, 30_000), enc, 20_000);
    expect(r).toEqual({ ok: false, recordId: 'gw1:1', recordBytes: expect.any(Number) as number });
    if (!r.ok) expect(r.recordBytes).toBeGreaterThan(30_000);
  });
});
