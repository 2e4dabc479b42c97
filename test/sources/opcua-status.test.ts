import { coerceInt64, coerceUInt64, DataType, DataValue, LocalizedText, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
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

  it('keeps arrays as JSON text (never a feature)', () => {
    expect(toSampleValue(dv(DataType.Double, [1, 2.5], { arrayType: VariantArrayType.Array }))).toBe('[1,2.5]');
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
