import { modbusRegister } from '../../src/sources/modbus/config';
import { TagValues, type TagRef } from '../../src/sources/modbus/tag-values';

const ref = (reg: Record<string, unknown>): TagRef => ({ reg: modbusRegister.parse({ name: 'x', address: 0, ...reg }), tag: 'm/x' });

describe('TagValues with 64-bit integers beyond 2^53 (exact decimal strings)', () => {
  it('unscaled: passed on exactly, as the string', () => {
    const v = new TagValues();
    expect(v.value(ref({ type: 'uint64' }), '18446744073709551615')).toBe('18446744073709551615');
    expect(v.value(ref({ type: 'int64' }), -42)).toBe(-42);
  });

  it('scaled: a number (a double either way)', () => {
    const v = new TagValues();
    expect(v.value(ref({ type: 'uint64', scale: 0.5 }), '18014398509481986')).toBe(2 ** 53); // (2^54 + 2) / 2 = 2^53 + 1, as the nearest double
  });

  it('deadband on the exact integer difference, across the 2^53 boundary too', () => {
    const v = new TagValues();
    const t = ref({ type: 'uint64', deadband: 2 });
    expect(v.value(t, '9007199254740993')).toBe('9007199254740993');
    expect(v.value(t, '9007199254740995')).toBeUndefined(); // moved by 2: held back
    expect(v.value(t, '9007199254740996')).toBe('9007199254740996'); // by 3 from the last emitted
    expect(v.value(t, 9007199254740991)).toBe(9007199254740991); // by 5, back into the safe range
    expect(v.value(t, '9007199254740992')).toBeUndefined(); // by 1, a string beside a number
    // a double could not tell these apart: both round to 2^64
    const w = new TagValues();
    const u = ref({ type: 'uint64', deadband: 0 });
    expect(w.value(u, '18446744073709551615')).toBe('18446744073709551615');
    expect(w.value(u, '18446744073709551614')).toBe('18446744073709551614');
    expect(w.value(u, '18446744073709551614')).toBeUndefined();
  });
});
