import { DataType, type DataValue, type StatusCode, VariantArrayType } from 'node-opcua';
import type { ColumnBatchBuilder } from '../../core/batch';
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

/**
 * One monitored or read DataValue as a Sample: quality from the StatusCode, the code kept
 * whenever it is not plain Good (Good sub-codes and info bits included); `sourceTs` the source
 * time, else the server time, else receipt; `serverTs` the server time when there is one.
 */
export function dataValueToSample(tag: string, dv: DataValue, receivedTs: number): Sample {
  const code = dv.statusCode.value;
  const quality = statusToQuality(code);
  const serverTs = dv.serverTimestamp?.getTime();
  const sourceTs = dv.sourceTimestamp?.getTime() ?? serverTs ?? receivedTs;
  const s: Sample = { tag, value: quality === 'bad' ? null : toSampleValue(dv), sourceTs, receivedTs, quality };
  const withTs = serverTs === undefined ? s : { ...s, serverTs };
  return code === 0 ? withTs : { ...withTs, status: statusOf(dv.statusCode) };
}

/**
 * One DataValue into a batch: a plain-Good scalar number (the hot path) as columns, with its
 * source and server times converted once; anything else (Good sub-codes included, their code
 * travels in `status`) as the Sample dataValueToSample() makes of it.
 */
export function addDataValue(b: ColumnBatchBuilder, index: number, tag: string, dv: DataValue, receivedTs: number): void {
  const v = dv.value;
  const raw: unknown = v?.value;
  if (typeof raw === 'number' && v.arrayType === VariantArrayType.Scalar && dv.statusCode.value === 0) {
    const serverTs = dv.serverTimestamp?.getTime();
    b.value(index, raw, dv.sourceTimestamp?.getTime() ?? serverTs ?? receivedTs, receivedTs, serverTs ?? NaN);
  } else {
    b.sample(index, dataValueToSample(tag, dv, receivedTs));
  }
}

/** A tag that cannot be read at all (unknown node, rejected monitored item, lost connection). */
export function badSample(tag: string, status: { code: number; text: string }, ts: number): Sample {
  return { tag, value: null, sourceTs: ts, receivedTs: ts, quality: 'bad', status };
}
