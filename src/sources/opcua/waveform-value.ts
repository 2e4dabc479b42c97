import { DataType, type Variant, VariantArrayType } from 'node-opcua';
import { Waveform } from '../../core/waveform';

const NUMERIC = new Set<DataType>([
  DataType.Double, DataType.Float, DataType.SByte, DataType.Byte, DataType.Int16, DataType.UInt16, DataType.Int32, DataType.UInt32,
]);

/**
 * A one-dimensional numeric array Variant (Double, Float, SByte..UInt32, Int64, UInt64) as a
 * Waveform block, the way vibration sensors, IO-Link masters and condition-monitoring modules
 * publish an acquisition; undefined for anything else (matrices, non-numeric arrays), which stays
 * JSON text. The samples are copied into a Float64Array of their own: node-opcua may hand out a
 * view of its receive buffer, and a block is kept past the callback (latest value, aligner).
 */
export function numericArrayToWaveform(v: Variant): Waveform | undefined {
  if (v.arrayType !== VariantArrayType.Array) return undefined;
  const raw: unknown = v.value;
  if (!Array.isArray(raw) && !(ArrayBuffer.isView(raw) && !(raw instanceof DataView))) return undefined;
  if (NUMERIC.has(v.dataType)) return new Waveform(new Float64Array(raw as ArrayLike<number>)); // converts and copies in one native call
  if (v.dataType === DataType.Int64 || v.dataType === DataType.UInt64) {
    // node-opcua gives each 64-bit integer as [high, low] words; exact up to 2^53, like a scalar
    const signed = v.dataType === DataType.Int64;
    return new Waveform(Float64Array.from(raw as [number, number][], ([hi, lo]) => (signed && hi & 0x80000000 ? -((~hi >>> 0) * 2 ** 32 + (~lo >>> 0) + 1) : hi * 2 ** 32 + lo)));
  }
  return undefined;
}
