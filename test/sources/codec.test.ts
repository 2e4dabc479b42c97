import { decodeRegisters, encodeRegisters, registerWidth, scaleValue, wordsToBuffer, type CodecSpec, type ModbusOrder, type ModbusType } from '../../src/sources/modbus/codec';

/**
 * Wire bytes for each type and order, written out by hand from the big-endian bytes of the value
 * (A = most significant). 64-bit: ABCD=ABCDEFGH, CDAB=GHEFCDAB, BADC=BADCFEHG, DCBA=HGFEDCBA.
 */
const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');

interface Case {
  type: ModbusType;
  value: number | boolean | string;
  wire: Record<ModbusOrder, string>;
  length?: number;
  bit?: number;
}

const CASES: Case[] = [
  { type: 'bool', value: true, wire: { ABCD: '00 01', CDAB: '00 01', BADC: '01 00', DCBA: '01 00' } },
  { type: 'bit', bit: 2, value: true, wire: { ABCD: '00 04', CDAB: '00 04', BADC: '04 00', DCBA: '04 00' } },
  { type: 'bit', bit: 9, value: true, wire: { ABCD: '02 00', CDAB: '02 00', BADC: '00 02', DCBA: '00 02' } },
  { type: 'int16', value: -2, wire: { ABCD: 'FF FE', CDAB: 'FF FE', BADC: 'FE FF', DCBA: 'FE FF' } },
  { type: 'uint16', value: 0x1234, wire: { ABCD: '12 34', CDAB: '12 34', BADC: '34 12', DCBA: '34 12' } },
  // -123456789 = 0xF8A432EB
  { type: 'int32', value: -123456789, wire: { ABCD: 'F8 A4 32 EB', CDAB: '32 EB F8 A4', BADC: 'A4 F8 EB 32', DCBA: 'EB 32 A4 F8' } },
  { type: 'uint32', value: 0x12345678, wire: { ABCD: '12 34 56 78', CDAB: '56 78 12 34', BADC: '34 12 78 56', DCBA: '78 56 34 12' } },
  // 123.456f = 0x42F6E979
  { type: 'float32', value: Math.fround(123.456), wire: { ABCD: '42 F6 E9 79', CDAB: 'E9 79 42 F6', BADC: 'F6 42 79 E9', DCBA: '79 E9 F6 42' } },
  // 1234.5678 = 0x40934A456D5CFAAD
  {
    type: 'float64',
    value: 1234.5678,
    wire: { ABCD: '40 93 4A 45 6D 5C FA AD', CDAB: 'FA AD 6D 5C 4A 45 40 93', BADC: '93 40 45 4A 5C 6D AD FA', DCBA: 'AD FA 5C 6D 45 4A 93 40' },
  },
  // -1234567890123 = 0xFFFFFEE08E04FB35
  {
    type: 'int64',
    value: -1234567890123,
    wire: { ABCD: 'FF FF FE E0 8E 04 FB 35', CDAB: 'FB 35 8E 04 FE E0 FF FF', BADC: 'FF FF E0 FE 04 8E 35 FB', DCBA: '35 FB 04 8E E0 FE FF FF' },
  },
  // 0x0001020304050607 (below 2^53, so exact)
  {
    type: 'uint64',
    value: 0x0001020304050607,
    wire: { ABCD: '00 01 02 03 04 05 06 07', CDAB: '06 07 04 05 02 03 00 01', BADC: '01 00 03 02 05 04 07 06', DCBA: '07 06 05 04 03 02 01 00' },
  },
  // "PUMP-01" in 4 registers, NUL padded; strings honour only the byte swap.
  {
    type: 'string',
    length: 4,
    value: 'PUMP-01',
    wire: { ABCD: '50 55 4D 50 2D 30 31 00', CDAB: '50 55 4D 50 2D 30 31 00', BADC: '55 50 50 4D 30 2D 00 31', DCBA: '55 50 50 4D 30 2D 00 31' },
  },
];

const ORDERS: ModbusOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

describe('register codec: every type x every order against hand-computed wire bytes', () => {
  for (const c of CASES) {
    for (const order of ORDERS) {
      const spec: CodecSpec = { type: c.type, order, length: c.length, bit: c.bit };
      it(`${c.type}${c.bit !== undefined ? `[bit ${c.bit}]` : ''} ${order} decodes ${c.wire[order]} to ${String(c.value)}`, () => {
        expect(decodeRegisters(hex(c.wire[order]), 0, spec)).toBe(c.value);
      });
      it(`${c.type}${c.bit !== undefined ? `[bit ${c.bit}]` : ''} ${order} encodes ${String(c.value)} to ${c.wire[order]}`, () => {
        expect(wordsToBuffer(encodeRegisters(c.value, spec)).toString('hex')).toBe(hex(c.wire[order]).toString('hex'));
      });
    }
  }

  it('decodes at a register offset inside a coalesced read', () => {
    const regs = hex('AA AA  42 F6 E9 79  BB BB');
    expect(decodeRegisters(regs, 1, { type: 'float32', order: 'ABCD' })).toBe(Math.fround(123.456));
  });

  it('reads false for a clear bit and a zero bool', () => {
    expect(decodeRegisters(hex('FF FB'), 0, { type: 'bit', order: 'ABCD', bit: 2 })).toBe(false);
    expect(decodeRegisters(hex('00 00'), 0, { type: 'bool', order: 'ABCD' })).toBe(false);
  });

  it('rejects a read too short for the type, naming how many registers it needs', () => {
    expect(() => decodeRegisters(hex('00 01 00 02'), 1, { type: 'float32', order: 'ABCD' })).toThrow('need 2 registers at offset 1, have 1');
  });

  it('64-bit integers beyond 2^53 - 1 come as their exact decimal string, the safe range as numbers', () => {
    const u64 = (h: string) => decodeRegisters(hex(h), 0, { type: 'uint64', order: 'ABCD' });
    const i64 = (h: string) => decodeRegisters(hex(h), 0, { type: 'int64', order: 'ABCD' });
    expect(u64('FF FF FF FF FF FF FF FF')).toBe('18446744073709551615');
    expect(u64('00 20 00 00 00 00 00 01')).toBe('9007199254740993'); // 2^53 + 1: no double holds it
    expect(u64('00 20 00 00 00 00 00 00')).toBe('9007199254740992'); // 2^53: a double would, but 2^53 + 1 would read the same
    expect(u64('00 1F FF FF FF FF FF FF')).toBe(Number.MAX_SAFE_INTEGER);
    expect(i64('80 00 00 00 00 00 00 00')).toBe('-9223372036854775808');
    expect(i64('FF E0 00 00 00 00 00 00')).toBe('-9007199254740992');
    expect(i64('FF E0 00 00 00 00 00 01')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(i64('FF FF FF FF FF FF FF FE')).toBe(-2);
    // every word order, both ways through the codec
    for (const order of ORDERS) {
      const spec: CodecSpec = { type: 'uint64', order };
      expect(decodeRegisters(wordsToBuffer(encodeRegisters('18446744073709551557', spec)), 0, spec)).toBe('18446744073709551557');
      const ispec: CodecSpec = { type: 'int64', order };
      expect(decodeRegisters(wordsToBuffer(encodeRegisters('-9223372036854775807', ispec)), 0, ispec)).toBe('-9223372036854775807');
    }
  });

  it('keeps a full string without NUL', () => {
    expect(decodeRegisters(hex('41 42 43 44'), 0, { type: 'string', order: 'ABCD', length: 2 })).toBe('ABCD');
  });

  it('register widths', () => {
    expect([registerWidth({ type: 'int16' }), registerWidth({ type: 'float32' }), registerWidth({ type: 'uint64' }), registerWidth({ type: 'string', length: 7 })]).toEqual([1, 2, 4, 7]);
  });

  it('applies scale and offset to numbers only', () => {
    expect(scaleValue(250, 0.1, -5)).toBe(20);
    expect(scaleValue(true, 0.1, -5)).toBe(true);
    expect(scaleValue('x', 2, 0)).toBe('x');
    expect(scaleValue('12', 2, 0, 'string')).toBe('12');
  });

  it('a 64-bit integer beyond 2^53 with a scale or offset becomes a number (a double either way); unscaled it stays exact', () => {
    expect(scaleValue('18446744073709551615', 0.001, 0, 'uint64')).toBe(2 ** 64 * 0.001);
    expect(scaleValue('-9223372036854775808', 1, 1, 'int64')).toBe(-(2 ** 63)); // + 1 is lost in the double
    expect(scaleValue('18446744073709551615', 1, 0, 'uint64')).toBe('18446744073709551615');
  });
});
