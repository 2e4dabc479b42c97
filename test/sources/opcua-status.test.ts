import { coerceInt64, coerceUInt64, DataType, DataValue, LocalizedText, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
import { Waveform } from '../../src/core/waveform';
import { dataValueToSample, statusToQuality, toSampleValue } from '../../src/sources/opcua/status-quality';

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
    expect(dataValueToSample('a/b', src, 5000)).toEqual({ tag: 'a/b', value: 3, sourceTs: 1000, receivedTs: 5000, quality: 'uncertain', status: { code: 0x40900000, text: 'UncertainLastUsableValue' } });
    const bad = new DataValue({ value: new Variant({ dataType: DataType.Double, value: 3 }), statusCode: StatusCodes.BadSensorFailure, serverTimestamp: new Date(2000) });
    expect(dataValueToSample('a/b', bad, 5000)).toMatchObject({ value: null, sourceTs: 2000, quality: 'bad', status: { text: 'BadSensorFailure' } });
    const none = new DataValue({ value: new Variant({ dataType: DataType.Double, value: 7 }) });
    expect(dataValueToSample('a/b', none, 5000)).toEqual({ tag: 'a/b', value: 7, sourceTs: 5000, receivedTs: 5000, quality: 'good' });
  });
});
