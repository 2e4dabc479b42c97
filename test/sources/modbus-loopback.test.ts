import { modbusSourceConfig } from '../../src/sources/modbus/config';
import { encodeRegisters } from '../../src/sources/modbus/codec';
import { ModbusSource } from '../../src/sources/modbus/modbus-source';
import { silentLogger } from '../../src/observability/logger';
import { freePort } from '../helpers/ports';
import { TestModbusServer } from '../helpers/modbus-server';
import { SourceRecorder } from '../helpers/source-events';

function source(port: number, registers: unknown[], extra: Record<string, unknown> = {}): ModbusSource {
  const cfg = modbusSourceConfig.parse({
    id: 'plc',
    type: 'modbus',
    host: '127.0.0.1',
    port,
    pollIntervalMs: 100,
    timeoutMs: 500,
    reconnect: { initialMs: 100, maxMs: 400 },
    registers,
    ...extra,
  });
  return new ModbusSource(cfg, silentLogger());
}

describe('ModbusSource over TCP against modbus-serial ServerTCP', () => {
  let server: TestModbusServer;
  let src: ModbusSource | undefined;
  beforeEach(async () => {
    server = new TestModbusServer(await freePort());
  });
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    await server.stop();
  });

  it('reads typed values in coalesced requests, scaled, with the word order asked for', async () => {
    const r = server.regs();
    r.splice(0, 2, ...encodeRegisters(21.5, { type: 'float32', order: 'ABCD' }));
    r.splice(2, 2, ...encodeRegisters(-70000, { type: 'int32', order: 'CDAB' }));
    r[4] = 1234; // 123.4 after scale 0.1
    r[5] = 0b1010;
    r.splice(6, 4, ...encodeRegisters(9007199254740991, { type: 'uint64', order: 'DCBA' }));
    server.bits()[3] = true;
    await server.start();
    src = source(server.port, [
      { name: 'temp', address: 0, type: 'float32' },
      { name: 'count', address: 2, type: 'int32', order: 'CDAB' },
      { name: 'flow', address: 4, type: 'uint16', scale: 0.1 },
      { name: 'alarm', address: 5, type: 'bit', bit: 3 },
      { name: 'total', address: 6, type: 'uint64', order: 'DCBA' },
      { name: 'run', area: 'coil', address: 3, type: 'bool' },
    ]);
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('all six tags', () => ['temp', 'count', 'flow', 'alarm', 'total', 'run'].every((t) => rec.latest(`plc/${t}`)));
    expect(rec.latest('plc/temp')).toMatchObject({ value: 21.5, quality: 'good' });
    expect(rec.latest('plc/count')?.value).toBe(-70000);
    expect(rec.latest('plc/flow')?.value).toBeCloseTo(123.4, 10);
    expect(rec.latest('plc/alarm')?.value).toBe(true);
    expect(rec.latest('plc/total')?.value).toBe(9007199254740991);
    expect(rec.latest('plc/run')?.value).toBe(true);
    // numbers travel as columns; booleans (bit, coil) as Sample objects
    expect([...rec.columnValues.keys()].sort()).toEqual(['plc/count', 'plc/flow', 'plc/temp', 'plc/total']);
    expect(src.plan()[0]?.reads.map((x) => `${x.area}@${x.start}+${x.count}`)).toEqual(['holding@0+10', 'coil@3+1']);
    const s = rec.samples[0] as { sourceTs: number; receivedTs: number };
    expect(Math.abs(s.sourceTs - Date.now())).toBeLessThan(5000);
    expect(rec.states.map((x) => x.state)).toEqual(['starting', 'up']);
  });

  it('isolates a tag whose address is illegal: it goes bad with the exception named, the rest stay good, the split is kept', async () => {
    for (let a = 0; a < 8; a++) server.regs()[a] = 100 + a;
    server.illegal.add(5);
    await server.start();
    src = source(server.port, Array.from({ length: 8 }, (_, a) => ({ name: `r${a}`, address: a })));
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('a bad r5 and good others', () => rec.latest('plc/r5')?.quality === 'bad' && rec.latest('plc/r7')?.quality === 'good');
    expect(rec.latest('plc/r5')?.status).toEqual({ code: 2, text: expect.stringContaining('Modbus exception 2 (ILLEGAL DATA ADDRESS)') });
    expect(rec.latest('plc/r5')?.status?.text).toContain('unit 1 holding 5+1');
    for (const a of [0, 1, 2, 3, 4, 6, 7]) expect(rec.latest(`plc/r${a}`)).toMatchObject({ value: 100 + a, quality: 'good' });
    const splits = src.stats().unit1_splits;
    expect(src.plan()[0]?.reads.map((x) => `${x.start}+${x.count}`)).toEqual(['0+4', '4+1', '5+1', '6+2']);
    const before = server.requests;
    const n = rec.samples.length;
    await rec.until('two more cycles', () => rec.samples.length >= n + 16);
    expect(src.stats().unit1_splits).toBe(splits); // no new splitting
    expect(server.requests - before).toBeLessThanOrEqual(Math.ceil((rec.samples.length - n) / 8) * 4 + 4);
  });

  it('reports busy exceptions per tag and retries', async () => {
    server.busy = true;
    await server.start();
    src = source(server.port, [{ name: 'a', address: 0 }], { retries: 2 });
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('a bad sample', () => rec.latest('plc/a')?.quality === 'bad');
    expect(rec.latest('plc/a')?.status).toMatchObject({ code: 6, text: expect.stringContaining('SERVER DEVICE BUSY') });
    expect(src.stats().unit1_requests).toBeGreaterThanOrEqual(3); // 1 + 2 retries
    server.busy = false;
    await rec.until('a good sample', () => rec.latest('plc/a')?.quality === 'good');
    expect(src.health()).toEqual({ healthy: true, state: 'up', detail: `tcp://127.0.0.1:${server.port}` });
  });

  it('starts with the device unreachable: down with endpoint and reason, then up when it appears', async () => {
    src = source(server.port, [{ name: 'a', address: 0 }]);
    const rec = new SourceRecorder(src);
    await src.start(); // must not throw
    await rec.until('down', () => src?.health().state === 'down');
    expect(src.health().detail).toMatch(new RegExp(`^tcp://127.0.0.1:${server.port}: .*ECONNREFUSED`));
    server.regs()[0] = 42;
    await server.start();
    await rec.until('a value', () => rec.latest('plc/a')?.value === 42);
  });

  it('recovers after the server restarts on the same port; tags go bad while it is gone', async () => {
    server.regs()[0] = 1;
    await server.start();
    src = source(server.port, [{ name: 'a', address: 0 }]);
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('first value', () => rec.latest('plc/a')?.value === 1);
    await server.stop();
    await rec.until('bad after the loss', () => rec.latest('plc/a')?.quality === 'bad');
    expect(rec.latest('plc/a')?.status?.text).toMatch(/connection closed by peer|timeout|not open/);
    server.regs()[0] = 2;
    await server.start();
    const ms = await rec.until('value after restart', () => rec.latest('plc/a')?.value === 2);
    expect(ms).toBeLessThan(5000);
    expect(src.stats().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('applies the deadband: small moves are dropped, a large one passes', async () => {
    server.regs()[0] = 1000;
    await server.start();
    src = source(server.port, [{ name: 'a', address: 0, deadband: 5 }]);
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('first value', () => rec.latest('plc/a')?.value === 1000);
    server.regs()[0] = 1003;
    await new Promise((r) => setTimeout(r, 400));
    expect(rec.samples.filter((s) => s.tag === 'plc/a').map((s) => s.value)).toEqual([1000]);
    server.regs()[0] = 1010;
    await rec.until('the large move', () => rec.latest('plc/a')?.value === 1010);
  });
});

describe('ModbusSource: plain 16-bit registers (decoded inline) against the codec path', () => {
  it('uint16 / int16 in every order, with and without scale or deadband: the same values', async () => {
    const { ModbusResponder } = await import('../../bench/_modbus-responder');
    const dev = new ModbusResponder(8);
    dev.registers.set([0xfffe, 0x8000, 0x7fff, 0x0102]);
    const port = await freePort();
    await dev.listen(port);
    const regs: { name: string; address: number; type: string; order: string; scale?: number; offset?: number; deadband?: number }[] = [];
    for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA']) {
      for (const type of ['uint16', 'int16']) {
        for (let a = 0; a < 4; a++) {
          regs.push({ name: `${type}_${order}_${a}`, address: a, type, order });
          regs.push({ name: `${type}_${order}_${a}_scaled`, address: a, type, order, scale: 1, offset: 0, deadband: 0 });
        }
      }
    }
    const src = source(port, regs);
    const rec = new SourceRecorder(src);
    try {
      await src.start();
      await rec.until('every tag', () => regs.every((r) => rec.latest(`plc/${r.name}`)));
      const expected: Record<string, number[]> = {
        uint16_ABCD: [65534, 32768, 32767, 258], int16_ABCD: [-2, -32768, 32767, 258],
        uint16_BADC: [65279, 128, 65407, 513], int16_BADC: [-257, 128, -129, 513],
      };
      for (const r of regs) {
        const key = `${r.type}_${r.order === 'CDAB' ? 'ABCD' : r.order === 'DCBA' ? 'BADC' : r.order}`;
        expect([r.name, rec.latest(`plc/${r.name}`)?.value]).toEqual([r.name, expected[key]![r.address]]);
      }
    } finally {
      await src.stop();
      await dev.close();
    }
  });
});
