import { coerceInt64, coerceUInt64, DataType, DataValue, LocalizedText, StatusCode, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
import { batchSamples, ColumnBatchBuilder, ENTRY_SAMPLE, ENTRY_VALUE } from '../../src/core/batch';
import { Waveform } from '../../src/core/waveform';
import { addDataValue, dataValueToSample, statusToQuality, toSampleValue } from '../../src/sources/opcua/status-quality';

const dv = (dataType: DataType, value: unknown, extra: Partial<{ arrayType: VariantArrayType }> = {}): DataValue =>
  new DataValue({ value: new Variant({ dataType, value, arrayType: VariantArrayType.Scalar, ...extra }) });

describe('OPC-UA StatusCode -> Quality and values -> Sample', () => {
  it('maps severity bits to quality', () => {
    expect(statusToQuality(StatusCodes.Good.value)).toBe('good');
    expect(statusToQuality(StatusCodes.GoodClamped.value)).toBe('good');
    expect(statusToQuality(StatusCodes.UncertainLastUsableValue.value)).toBe('uncertain');
    expect(statusToQuality(StatusCodes.UncertainSensorNotAccurate.value)).toBe('uncertain');
    expect(statusToQuality(StatusCodes.BadNodeIdUnknown.value)).toBe('bad');
    expect(statusToQuality(StatusCodes.BadSensorFailure.value)).toBe('bad');
    expect(statusToQuality(0xc0000000)).toBe('bad'); // reserved severity
  });

  it('converts scalar types', () => {
    expect(toSampleValue(dv(DataType.Double, 1.25))).toBe(1.25);
    expect(toSampleValue(dv(DataType.Boolean, false))).toBe(false);
    expect(toSampleValue(dv(DataType.String, 'run'))).toBe('run');
    expect(toSampleValue(dv(DataType.Int64, coerceInt64(-5)))).toBe(-5);
    expect(toSampleValue(dv(DataType.Int64, [0xfff00000, 1]))).toBe(-4503599627370495); // 0xFFF0000000000001
    expect(toSampleValue(dv(DataType.UInt64, coerceUInt64(2 ** 40 + 3)))).toBe(2 ** 40 + 3);
    expect(toSampleValue(dv(DataType.DateTime, new Date(1700000000123)))).toBe(1700000000123);
    expect(toSampleValue(dv(DataType.ByteString, Buffer.from([1, 2, 3])))).toBe('AQID');
    expect(toSampleValue(dv(DataType.LocalizedText, new LocalizedText({ text: 'Pumpe', locale: 'de' })))).toBe('Pumpe');
  });

  it('makes 1-D numeric arrays waveform blocks (a copy, as doubles); keeps other arrays and matrices as JSON text', () => {
    const arr = (dataType: DataType, value: unknown): DataValue => dv(dataType, value, { arrayType: VariantArrayType.Array });
    const block = toSampleValue(arr(DataType.Double, [1, 2.5, -3]));
    expect(block).toBeInstanceOf(Waveform);
    expect(Array.from((block as Waveform).samples)).toEqual([1, 2.5, -3]);
    expect((block as Waveform).sampleRateHz).toBeUndefined();
    expect(Array.from((toSampleValue(arr(DataType.Float, [0.5, -1.25])) as Waveform).samples)).toEqual([0.5, -1.25]);
    expect(Array.from((toSampleValue(arr(DataType.Int16, [-32768, 7])) as Waveform).samples)).toEqual([-32768, 7]);
    expect(Array.from((toSampleValue(arr(DataType.UInt32, [4294967295])) as Waveform).samples)).toEqual([4294967295]);
    expect(Array.from((toSampleValue(arr(DataType.Byte, [0, 255])) as Waveform).samples)).toEqual([0, 255]);
    expect(Array.from((toSampleValue(arr(DataType.Int64, [coerceInt64(-5), coerceInt64(2 ** 40)])) as Waveform).samples)).toEqual([-5, 2 ** 40]);
    // the block owns its samples: not a view of node-opcua's array
    const src = new Float64Array([1, 2]);
    const own = toSampleValue(arr(DataType.Double, src)) as Waveform;
    src[0] = 99;
    expect(own.samples[0]).toBe(1);
    // JSON of a Sample carrying a block is a summary, not the samples
    expect(JSON.stringify({ value: block })).toBe(`{"value":{"waveform":3,"rms":${Math.sqrt((1 + 6.25 + 9) / 3)}}}`);
    expect(toSampleValue(arr(DataType.Boolean, [true, false]))).toBe('[true,false]');
    expect(toSampleValue(arr(DataType.String, ['a', 'b']))).toBe('["a","b"]');
    expect(toSampleValue(dv(DataType.Double, [1, 2, 3, 4], { arrayType: VariantArrayType.Matrix, dimensions: [2, 2] } as never))).toBe('[1,2,3,4]');
  });

  it('keeps the original status when not good, drops the value when bad, and falls back on timestamps', () => {
    const src = new DataValue({ value: new Variant({ dataType: DataType.Double, value: 3 }), statusCode: StatusCodes.UncertainLastUsableValue, sourceTimestamp: new Date(1000), serverTimestamp: new Date(2000) });
    expect(dataValueToSample('a/b', src, 5000)).toEqual({ tag: 'a/b', value: 3, sourceTs: 1000, serverTs: 2000, receivedTs: 5000, quality: 'uncertain', status: { code: 0x40900000, text: 'UncertainLastUsableValue' } });
    const bad = new DataValue({ value: new Variant({ dataType: DataType.Double, value: 3 }), statusCode: StatusCodes.BadSensorFailure, serverTimestamp: new Date(2000) });
    expect(dataValueToSample('a/b', bad, 5000)).toMatchObject({ value: null, sourceTs: 2000, quality: 'bad', status: { text: 'BadSensorFailure' } });
    const none = new DataValue({ value: new Variant({ dataType: DataType.Double, value: 7 }) });
    expect(dataValueToSample('a/b', none, 5000)).toEqual({ tag: 'a/b', value: 7, sourceTs: 5000, receivedTs: 5000, quality: 'good' });
  });

  it('keeps source and server timestamps apart, as a Sample and in the column path', () => {
    const both = new DataValue({ value: new Variant({ dataType: DataType.Double, value: 4.5 }), sourceTimestamp: new Date(1000), serverTimestamp: new Date(1750) });
    expect(dataValueToSample('a/b', both, 5000)).toEqual({ tag: 'a/b', value: 4.5, sourceTs: 1000, serverTs: 1750, receivedTs: 5000, quality: 'good' });
    const b = new ColumnBatchBuilder({ tags: ['a/b', 'a/c'] }, 1, true, true);
    addDataValue(b, 0, 'a/b', both, 5000);
    addDataValue(b, 1, 'a/c', new DataValue({ value: new Variant({ dataType: DataType.Double, value: 1 }), sourceTimestamp: new Date(900) }), 5000);
    expect([b.kinds[0], b.kinds[1]]).toEqual([ENTRY_VALUE, ENTRY_VALUE]);
    expect(batchSamples(b)).toEqual([
      { tag: 'a/b', value: 4.5, sourceTs: 1000, serverTs: 1750, receivedTs: 5000, quality: 'good' },
      { tag: 'a/c', value: 1, sourceTs: 900, receivedTs: 5000, quality: 'good' }, // no server time sent: none invented
    ]);
    // a batch without the column (Modbus) gives Samples without serverTs
    const m = new ColumnBatchBuilder({ tags: ['m/x'] }, 1, false);
    m.value(0, 2, 10, 20, 15);
    expect(batchSamples(m)).toEqual([{ tag: 'm/x', value: 2, sourceTs: 10, receivedTs: 20, quality: 'good' }]);
  });

  it('keeps Good sub-codes and info bits (GoodClamped, GoodLocalOverride, Good + overflow bit): good quality, code in status', () => {
    const withCode = (sc: StatusCode): DataValue => new DataValue({ value: new Variant({ dataType: DataType.Double, value: 9 }), statusCode: sc, sourceTimestamp: new Date(1000) });
    expect(dataValueToSample('a/b', withCode(StatusCodes.GoodClamped), 5000)).toEqual({ tag: 'a/b', value: 9, sourceTs: 1000, receivedTs: 5000, quality: 'good', status: { code: 0x00300000, text: 'GoodClamped' } });
    expect(dataValueToSample('a/b', withCode(StatusCodes.GoodLocalOverride), 5000).status).toEqual({ code: 0x00960000, text: 'GoodLocalOverride' });
    const overflow = StatusCode.makeStatusCode(StatusCodes.Good, 'Overflow');
    expect(dataValueToSample('a/b', withCode(overflow), 5000)).toMatchObject({ quality: 'good', status: { code: overflow.value } });
    expect(overflow.value).not.toBe(0);
    // not the column path: a column entry has no room for the code
    const b = new ColumnBatchBuilder({ tags: ['a/b'] }, 1, true, true);
    addDataValue(b, 0, 'a/b', withCode(StatusCodes.GoodClamped), 5000);
    expect(b.kinds[0]).toBe(ENTRY_SAMPLE);
    expect(batchSamples(b)[0]?.status?.text).toBe('GoodClamped');
    // plain Good keeps no status
    expect(dataValueToSample('a/b', withCode(StatusCodes.Good), 5000).status).toBeUndefined();
  });
});
