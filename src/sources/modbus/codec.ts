import type { SampleValue } from '../../core/sample';

/**
 * Register codec. Byte order names follow the common convention (Telegraf, Neuron, Kepware):
 * letters name the bytes of the value from the most significant (A) down; the order string says in
 * which order they travel on the wire. For 64-bit values the 32-bit names extend naturally:
 * ABCD = ABCDEFGH (big endian), CDAB = GHEFCDAB (words reversed), BADC = BADCFEHG (bytes swapped
 * inside each word), DCBA = HGFEDCBA (little endian). 16-bit values only honour the byte swap
 * (ABCD and CDAB read AB; BADC and DCBA read BA). Strings carry two characters per register and
 * honour the byte swap only. See docs/southbound.md for a worked example.
 */
export type ModbusType =
  | 'bool'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'string'
  | 'bit';
export type ModbusOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

export interface CodecSpec {
  readonly type: ModbusType;
  readonly order: ModbusOrder;
  /** Registers of a string. */
  readonly length?: number;
  /** Bit index (0 = least significant) for type bit. */
  readonly bit?: number;
}

/** Registers a value of this spec occupies (register areas). */
export function registerWidth(spec: Pick<CodecSpec, 'type' | 'length'>): number {
  switch (spec.type) {
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
      return spec.length ?? 1;
    default:
      return 1;
  }
}

const wordsSwapped = (o: ModbusOrder): boolean => o === 'CDAB' || o === 'DCBA';
const bytesSwapped = (o: ModbusOrder): boolean => o === 'BADC' || o === 'DCBA';

/** Wire bytes (register i at bytes 2i..2i+1, as received) -> big-endian value bytes. */
function toBigEndian(wire: Buffer, order: ModbusOrder, reverseWords: boolean): Buffer {
  const n = wire.length / 2;
  const out = Buffer.allocUnsafe(wire.length);
  const swapBytes = bytesSwapped(order);
  for (let i = 0; i < n; i++) {
    const src = reverseWords && wordsSwapped(order) ? n - 1 - i : i;
    const hi = wire[2 * src] as number;
    const lo = wire[2 * src + 1] as number;
    out[2 * i] = swapBytes ? lo : hi;
    out[2 * i + 1] = swapBytes ? hi : lo;
  }
  return out;
}

/** Inverse of toBigEndian (the permutation is an involution). */
const fromBigEndian = toBigEndian;

/**
 * Decode one value from `regs` (raw register bytes as received, 2 bytes per register) starting
 * at register `offset`. Returns the raw value (before scale and offset).
 */
export function decodeRegisters(regs: Buffer, offset: number, spec: CodecSpec): SampleValue {
  const width = registerWidth(spec);
  const at = offset * 2;
  if (at < 0 || at + width * 2 > regs.length) throw new RangeError(`need ${width} registers at offset ${offset}, have ${regs.length / 2 - offset}`);
  // Hot path (every tag of every poll): big-endian layouts are read in place, without a copy.
  if (spec.order === 'ABCD' || (width === 1 && spec.order === 'CDAB')) return decodeBigEndian(regs, at, width, spec);
  const be = toBigEndian(regs.subarray(at, at + width * 2), spec.order, spec.type !== 'string');
  return decodeBigEndian(be, 0, width, spec);
}

function decodeBigEndian(be: Buffer, at: number, width: number, spec: CodecSpec): SampleValue {
  switch (spec.type) {
    case 'bool':
      return be.readUInt16BE(at) !== 0;
    case 'bit':
      return ((be.readUInt16BE(at) >> (spec.bit ?? 0)) & 1) === 1;
    case 'int16':
      return be.readInt16BE(at);
    case 'uint16':
      return be.readUInt16BE(at);
    case 'int32':
      return be.readInt32BE(at);
    case 'uint32':
      return be.readUInt32BE(at);
    case 'float32':
      return be.readFloatBE(at);
    case 'float64':
      return be.readDoubleBE(at);
    case 'int64':
      return exactInteger(be.readBigInt64BE(at));
    case 'uint64':
      return exactInteger(be.readBigUInt64BE(at));
    case 'string': {
      const end = at + width * 2;
      const nul = be.indexOf(0, at);
      return be.toString('latin1', at, nul === -1 || nul >= end ? end : nul);
    }
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A 64-bit integer as a number while a double holds it exactly (|v| <= 2^53 - 1, the common case
 * and what analytics need), else as its exact decimal string: a counter beyond 2^53 is not
 * silently rounded. Consumers that need numbers count such a value as not a number (docs).
 */
export function exactInteger(v: bigint): number | string {
  return v > MAX_SAFE || v < -MAX_SAFE ? v.toString() : Number(v);
}

/** Whether a decoded value is a 64-bit integer delivered as its exact decimal string. */
export function isBigIntegerText(type: ModbusType, raw: SampleValue): raw is string {
  return typeof raw === 'string' && (type === 'int64' || type === 'uint64');
}

/** Encode a value into register words (numbers 0..65535) in the given order; for peers and tests. */
/** 64-bit integers also take a bigint or a decimal string (exact beyond 2^53). */
export function encodeRegisters(value: number | bigint | boolean | string, spec: CodecSpec): number[] {
  const width = registerWidth(spec);
  const be = Buffer.alloc(width * 2);
  switch (spec.type) {
    case 'bool':
      be.writeUInt16BE(value ? 1 : 0, 0);
      break;
    case 'bit':
      be.writeUInt16BE(value ? 1 << (spec.bit ?? 0) : 0, 0);
      break;
    case 'int16':
      be.writeInt16BE(Number(value), 0);
      break;
    case 'uint16':
      be.writeUInt16BE(Number(value), 0);
      break;
    case 'int32':
      be.writeInt32BE(Number(value), 0);
      break;
    case 'uint32':
      be.writeUInt32BE(Number(value), 0);
      break;
    case 'float32':
      be.writeFloatBE(Number(value), 0);
      break;
    case 'float64':
      be.writeDoubleBE(Number(value), 0);
      break;
    case 'int64':
      be.writeBigInt64BE(BigInt(value as number | bigint | string), 0);
      break;
    case 'uint64':
      be.writeBigUInt64BE(BigInt(value as number | bigint | string), 0);
      break;
    case 'string':
      be.write(String(value).slice(0, width * 2), 'latin1');
      break;
  }
  const wire = fromBigEndian(be, spec.order, spec.type !== 'string');
  const words: number[] = [];
  for (let i = 0; i < width; i++) words.push(wire.readUInt16BE(2 * i));
  return words;
}

/**
 * Apply scale and offset to numbers; booleans and strings pass through. A 64-bit integer beyond
 * 2^53 (its exact decimal string) with a scale or offset becomes a number: the result of the
 * scaling is a double anyway.
 */
export function scaleValue(raw: SampleValue, scale: number, offset: number, type?: ModbusType): SampleValue {
  if (scale === 1 && offset === 0) return raw;
  if (typeof raw === 'number') return raw * scale + offset;
  if (type !== undefined && isBigIntegerText(type, raw)) return Number(raw) * scale + offset;
  return raw;
}

/** Register words (as modbus-serial or a server gives them) -> wire bytes. */
export function wordsToBuffer(words: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(words.length * 2);
  words.forEach((w, i) => b.writeUInt16BE(w & 0xffff, 2 * i));
  return b;
}
