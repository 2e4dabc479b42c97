import { DataType, type DataValue, type StatusCode, VariantArrayType } from 'node-opcua';
import type { Quality, Sample, SampleValue } from '../../core/sample';
import { numericArrayToWaveform } from './waveform-value';

/** OPC-UA Part 4, 7.39: the two top bits of a StatusCode are its severity. */
export function statusToQuality(code: number): Quality {
  const severity = code >>> 30;
  if (severity === 0) return 'good';
  if (severity === 1) return 'uncertain';
  return 'bad';
}

export function statusOf(sc: StatusCode): { code: number; text: string } {
  return { code: sc.value >>> 0, text: sc.name };
}

/**
 * A Variant value as a Sample value. Scalars pass (Int64/UInt64 come from node-opcua as
 * [high, low] words and become numbers, exact up to 2^53); DateTime becomes epoch ms; a 1-D
 * numeric array becomes a Waveform block (waveform-value.ts); other arrays, matrices, structures
 * and byte strings become JSON/base64 text (kept, but never a feature).
 */
export function toSampleValue(dv: DataValue): SampleValue {
  const v = dv.value;
  if (!v || v.value === null || v.value === undefined) return null;
  const raw: unknown = v.value;
  if (typeof raw === 'number' && v.arrayType === VariantArrayType.Scalar) return raw; // the hot path: Double, Float, Int32, ...
  if (v.arrayType === VariantArrayType.Scalar) {
    switch (v.dataType) {
      case DataType.Int64:
      case DataType.UInt64: {
        const [hi, lo] = v.value as [number, number];
        return v.dataType === DataType.Int64 && hi & 0x80000000 ? -((~hi >>> 0) * 2 ** 32 + (~lo >>> 0) + 1) : hi * 2 ** 32 + lo;
      }
      case DataType.DateTime:
        return (v.value as Date).getTime();
      case DataType.ByteString:
        return (v.value as Buffer).toString('base64');
      case DataType.LocalizedText:
        return (v.value as { text?: string | null }).text ?? null;
      case DataType.QualifiedName:
        return String((v.value as { name?: string }).name ?? '');
      case DataType.NodeId:
      case DataType.ExpandedNodeId:
      case DataType.Guid:
      case DataType.StatusCode:
        return String(v.value.toString());
    }
    if (typeof raw === 'boolean' || typeof raw === 'string') return raw;
  }
  const block = numericArrayToWaveform(v);
  if (block) return block;
  return JSON.stringify(v.value, (_k, x: unknown) => {
    if (typeof x === 'bigint') return x.toString();
    if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as unknown as ArrayLike<number>);
    return x;
  });
}

/** One monitored or read DataValue as a Sample: quality from the StatusCode, the code kept when not good. */
export function dataValueToSample(tag: string, dv: DataValue, receivedTs: number): Sample {
  const quality = statusToQuality(dv.statusCode.value);
  const sourceTs = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime() ?? receivedTs;
  const base = { tag, value: quality === 'bad' ? null : toSampleValue(dv), sourceTs, receivedTs, quality };
  return quality === 'good' ? base : { ...base, status: statusOf(dv.statusCode) };
}

/** A tag that cannot be read at all (unknown node, rejected monitored item, lost connection). */
export function badSample(tag: string, status: { code: number; text: string }, ts: number): Sample {
  return { tag, value: null, sourceTs: ts, receivedTs: ts, quality: 'bad', status };
}
