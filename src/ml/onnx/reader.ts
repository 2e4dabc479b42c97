import { AttributeType, modelProtoType, OnnxDataType } from './schema';
import type { InitializerData } from './builder';

/** A decoded ONNX model, for tests and inspection (not a general ONNX loader). */
export interface OnnxModelInfo {
  irVersion: number;
  opset: number;
  producer: string;
  graphName: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  nodes: OnnxNodeInfo[];
  initializers: Map<string, { dims: number[]; data: InitializerData }>;
  metadata: Record<string, string>;
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** -1 for a symbolic (dynamic) dimension. */
  dims: number[];
}

export interface OnnxNodeInfo {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, number | string | number[]>;
}

interface RawTensor {
  name?: string;
  dims?: number[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
}
interface RawValueInfo {
  name: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: Array<{ dim_value?: number; dim_param?: string }> } } };
}
interface RawAttr {
  name: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}
interface RawModel {
  ir_version?: number;
  producer_name?: string;
  opset_import?: Array<{ domain?: string; version?: number }>;
  metadata_props?: Array<{ key: string; value: string }>;
  graph?: {
    name?: string;
    node?: Array<{ name?: string; op_type?: string; input?: string[]; output?: string[]; attribute?: RawAttr[] }>;
    initializer?: RawTensor[];
    input?: RawValueInfo[];
    output?: RawValueInfo[];
  };
}

function tensorData(t: RawTensor): InitializerData {
  const count = (t.dims ?? []).reduce((a, b) => a * b, 1);
  const raw = t.raw_data && t.raw_data.length > 0 ? t.raw_data : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  switch (t.data_type) {
    case OnnxDataType.FLOAT:
      return view ? Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true)) : Float32Array.from(t.float_data ?? []);
    case OnnxDataType.DOUBLE:
      return view ? Float64Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true)) : Float64Array.from(t.double_data ?? []);
    case OnnxDataType.INT8:
      return raw ? new Int8Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + count)) : Int8Array.from(t.int32_data ?? []);
    case OnnxDataType.UINT8:
      return raw ? new Uint8Array(raw.slice(0, count)) : Uint8Array.from(t.int32_data ?? []);
    case OnnxDataType.INT32:
      return view ? Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true)) : Int32Array.from(t.int32_data ?? []);
    case OnnxDataType.INT64:
      return view
        ? BigInt64Array.from({ length: count }, (_, i) => view.getBigInt64(i * 8, true))
        : BigInt64Array.from((t.int64_data ?? []).map((v) => BigInt(v)));
    default:
      throw new Error(`initializer ${t.name ?? '?'}: data type ${t.data_type} is not supported by this reader`);
  }
}

function valueInfo(v: RawValueInfo): OnnxValueInfo {
  const tt = v.type?.tensor_type;
  return { name: v.name, elemType: tt?.elem_type ?? 0, dims: (tt?.shape?.dim ?? []).map((d) => (d.dim_value !== undefined ? d.dim_value : -1)) };
}

function attrValue(a: RawAttr): number | string | number[] {
  switch (a.type) {
    case AttributeType.FLOAT:
      return a.f ?? 0;
    case AttributeType.INT:
      return a.i ?? 0;
    case AttributeType.STRING:
      return Buffer.from(a.s ?? new Uint8Array()).toString('utf8');
    case AttributeType.FLOATS:
      return a.floats ?? [];
    case AttributeType.INTS:
      return a.ints ?? [];
    default:
      return `<attribute type ${a.type}>`;
  }
}

export function readOnnxModel(bytes: Uint8Array): OnnxModelInfo {
  const Model = modelProtoType();
  const m = Model.toObject(Model.decode(bytes), { longs: Number, defaults: false, arrays: true }) as RawModel;
  const g = m.graph ?? {};
  return {
    irVersion: m.ir_version ?? 0,
    opset: m.opset_import?.find((o) => !o.domain)?.version ?? 0,
    producer: m.producer_name ?? '',
    graphName: g.name ?? '',
    inputs: (g.input ?? []).map(valueInfo),
    outputs: (g.output ?? []).map(valueInfo),
    nodes: (g.node ?? []).map((n) => ({
      name: n.name ?? '',
      opType: n.op_type ?? '',
      inputs: n.input ?? [],
      outputs: n.output ?? [],
      attrs: Object.fromEntries((n.attribute ?? []).map((a) => [a.name, attrValue(a)])),
    })),
    initializers: new Map((g.initializer ?? []).map((t) => [t.name ?? '', { dims: t.dims ?? [], data: tensorData(t) }])),
    metadata: Object.fromEntries((m.metadata_props ?? []).map((p) => [p.key, p.value])),
  };
}
