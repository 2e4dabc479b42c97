import { createServer, type Server, type Socket } from 'node:net';
import { mbapFrame } from '../../bench/_modbus-responder';
import { ModbusRequestError } from '../../src/sources/modbus/errors';
import { TcpTransport } from '../../src/sources/modbus/transport-tcp';
import { freePort } from '../helpers/ports';

/**
 * The TCP transport's own MBAP framing, against a raw socket that answers each request as the
 * test script says: split frames, late answers, two frames in one segment, bits, a close in the
 * middle of a request. A real server cannot produce these on demand.
 */
type Script = (req: { tid: number; unit: number; fc: number; start: number; count: number }, sock: Socket) => void;

const mbap = (tid: number, unit: number, pdu: number[]): Buffer => mbapFrame(tid, unit, Uint8Array.from(pdu));

/** An FC 3 (or `fc`) answer with registers start, start+1, ... (value = address * 10). */
function registers(tid: number, unit: number, start: number, count: number, fc = 3): Buffer {
  const pdu = [fc, 2 * count];
  for (let i = 0; i < count; i++) pdu.push(((start + i) * 10) >> 8, ((start + i) * 10) & 0xff);
  return mbap(tid, unit, pdu);
}

describe('TcpTransport framing (function codes 1-4 over MBAP)', () => {
  let server: Server;
  let port: number;
  let script: Script;
  let t: TcpTransport;
  beforeEach(async () => {
    port = await freePort();
    server = createServer((sock) => {
      sock.on('data', (d) => {
        for (let at = 0; at + 12 <= d.length; at += 12) {
          script({ tid: d.readUInt16BE(at), unit: d[at + 6] as number, fc: d[at + 7] as number, start: d.readUInt16BE(at + 8), count: d.readUInt16BE(at + 10) }, sock);
        }
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    t = new TcpTransport('127.0.0.1', port);
    await t.open(1000);
  });
  afterEach(async () => {
    await t.close();
    await new Promise((r) => server.close(r));
  });

  it('sends the request as MBAP and returns the register bytes of its answer', async () => {
    const seen: unknown[] = [];
    script = (q, s) => (seen.push(q), s.write(registers(q.tid, q.unit, q.start, q.count, q.fc)));
    const a = await t.read(7, 'holding', 10, 3, 500);
    const b = await t.read(7, 'input', 0, 1, 500);
    expect([...(a as Buffer)]).toEqual([0, 100, 0, 110, 0, 120]);
    expect([...(b as Buffer)]).toEqual([0, 0]);
    expect(seen).toEqual([
      { tid: 1, unit: 7, fc: 3, start: 10, count: 3 },
      { tid: 2, unit: 7, fc: 4, start: 0, count: 1 },
    ]);
  });

  it('an answer split into single bytes is put back together', async () => {
    script = (q, s) => {
      const f = registers(q.tid, q.unit, q.start, q.count);
      for (let i = 0; i < f.length; i++) setTimeout(() => s.write(f.subarray(i, i + 1)), i);
    };
    expect([...(await t.read(1, 'holding', 2, 2, 1000) as Buffer)]).toEqual([0, 20, 0, 30]);
  });

  it('a late answer to an earlier request is counted and skipped, in the same segment as the right one or alone', async () => {
    script = (q, s) => s.write(Buffer.concat([registers((q.tid + 100) & 0xffff, q.unit, 99, 1), registers(q.tid, q.unit, q.start, q.count)]));
    expect([...(await t.read(1, 'holding', 1, 1, 500) as Buffer)]).toEqual([0, 10]);
    expect(t.counters.unmatchedResponses).toBe(1);
    // only the stale frame: the request times out as a frame fault that names what came
    script = (q, s) => s.write(registers((q.tid + 5) & 0xffff, q.unit, 0, 1));
    const e = await t.read(1, 'holding', 0, 1, 200).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModbusRequestError);
    expect(e).toMatchObject({ kind: 'frame', message: expect.stringMatching(/^response did not match the request \(transaction id \d+, unit 1, function 3\)$/) });
    expect(t.counters.unmatchedResponses).toBe(2);
  });

  it('coils come back as booleans, bit 0 of the first byte first', async () => {
    script = (q, s) => s.write(mbap(q.tid, q.unit, [q.fc, 2, 0b10100101, 0b1]));
    expect(await t.read(1, 'coil', 0, 9, 500)).toEqual([true, false, true, false, false, true, false, true, true]);
    expect(await t.read(1, 'discrete', 0, 9, 500)).toEqual([true, false, true, false, false, true, false, true, true]);
  });

  it('an exception answer is an exception with its name; bytes that cannot be MBAP fail the request at once', async () => {
    script = (q, s) => s.write(mbap(q.tid, q.unit, [q.fc | 0x80, 2]));
    await expect(t.read(1, 'holding', 0, 1, 500)).rejects.toMatchObject({ kind: 'exception', exceptionCode: 2, message: 'Modbus exception 2 (ILLEGAL DATA ADDRESS)' });
    script = (_q, s) => s.write('HTTP/1.1 400 Bad Request\r\n\r\n');
    const t0 = Date.now();
    await expect(t.read(1, 'holding', 0, 1, 5000)).rejects.toMatchObject({ kind: 'frame', message: 'incomplete or garbage response (28 bytes, no valid MBAP frame)' });
    expect(Date.now() - t0).toBeLessThan(1000); // not after the 5 s timeout
    expect(t.counters.garbageBytes).toBe(28);
  });

  it('a wrong byte count, unit id or function code is a bad frame naming both sides', async () => {
    script = (q, s) => s.write(mbap(q.tid, q.unit, [3, 2, 0, 1])); // 1 register for 2 asked
    await expect(t.read(1, 'holding', 0, 2, 500)).rejects.toMatchObject({ kind: 'frame', message: 'bad response frame: Data length error, expected 7 got 5' });
    script = (q, s) => s.write(registers(q.tid, 9, 0, 1));
    await expect(t.read(1, 'holding', 0, 1, 500)).rejects.toMatchObject({ message: 'bad response frame: Unexpected data error, expected address 1 got 9' });
    script = (q, s) => s.write(mbap(q.tid, q.unit, [4, 2, 0, 1]));
    await expect(t.read(1, 'holding', 0, 1, 500)).rejects.toMatchObject({ message: 'bad response frame: Unexpected data error, expected code 3 got 4' });
  });

  it('silence is a timeout; a close in the middle of a request fails it at once as disconnected', async () => {
    script = () => undefined;
    await expect(t.read(1, 'holding', 0, 1, 150)).rejects.toMatchObject({ kind: 'timeout', message: 'no response (timeout)' });
    const closed = new Promise<string>((r) => t.onClose(r));
    script = (_q, s) => s.destroy();
    const t0 = Date.now();
    await expect(t.read(1, 'holding', 0, 1, 5000)).rejects.toMatchObject({ kind: 'disconnected', message: 'connection closed by peer' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await closed).toBe('connection closed by peer');
    expect(t.isOpen).toBe(false);
    await expect(t.read(1, 'holding', 0, 1, 150)).rejects.toMatchObject({ kind: 'disconnected', message: 'connection not open' });
  });

  it('timeouts of different lengths each fire at their own deadline with one timer', async () => {
    // an answered request leaves the timer armed for its 2 s deadline: a 100 ms one after it must not wait for that
    script = (q, s) => s.write(registers(q.tid, q.unit, q.start, q.count));
    await t.read(1, 'holding', 0, 1, 2000);
    script = () => undefined;
    let t0 = Date.now();
    await expect(t.read(1, 'holding', 0, 1, 100)).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    expect(Date.now() - t0).toBeLessThan(1500);
    // and a long one after a short one waits its whole time
    t0 = Date.now();
    await expect(t.read(1, 'holding', 0, 1, 300)).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });
});
