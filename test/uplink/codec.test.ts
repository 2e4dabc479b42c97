import { decodeMessage, MessageEncoder } from '../../src/uplink';
import { makeOutbox, telemetry } from '../outbox/helpers';

describe('MessageEncoder', () => {
  it('builds a schema-1 message from block bodies without touching the records, and reuses buffers once recycled', async () => {
    const ob = makeOutbox(':memory:', { blockMaxRecords: 3 });
    await ob.start();
    const ids = ob.append(telemetry(7, 'pump-1', 5));
    const blocks = ob.lease(100);
    expect(blocks.map((b) => b.count)).toEqual([3, 3, 1]);
    const enc = new MessageEncoder('gw1', 'plant-a', false);
    const body = enc.encode('telemetry', 'pump-1', blocks);
    const m = decodeMessage(body);
    expect(m).toMatchObject({ schema: 1, gateway: 'gw1', site: 'plant-a', class: 'telemetry', asset: 'pump-1' });
    expect(m.records.map((r) => r.id)).toEqual(ids);
    expect(m.records[6]!.payload).toEqual({ i: 6, pad: 'xxxxx' });
    // Recycled: the next message is written into the same memory; a foreign buffer is ignored.
    const ab = body.buffer;
    enc.recycle(body);
    enc.recycle(Buffer.from('not ours'));
    const again = enc.encode('telemetry', 'pump-1', blocks.slice(0, 1));
    expect(again.buffer).toBe(ab);
    expect(decodeMessage(again).records).toHaveLength(3);
    // Not recycled yet: a second message gets other memory.
    expect(enc.encode('telemetry', 'pump-1', blocks.slice(1, 2)).buffer).not.toBe(ab);
    const deflated = new MessageEncoder('gw1', 'plant-a', true).encode('telemetry', 'pump-1', blocks);
    expect(deflated[0]).toBe(0x78);
    expect(decodeMessage(deflated).records.map((r) => r.id)).toEqual(ids);
    await ob.stop();
  });
});
