import { AttributeType, modelProtoType, OnnxDataType, type OnnxDataTypeName } from './schema';

/** Data an initializer can hold; the ONNX element type follows from the array class. */
export type InitializerData = Float32Array | Float64Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** Explicit attribute values, for when the JS value alone is ambiguous (1 as a float). */
export type OnnxAttr =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'ints'; value: readonly number[] }
  | { type: 'tensor'; data: InitializerData; dims: readonly number[] };

/** Plain numbers are INT when integral and FLOAT otherwise; arrays likewise; use OnnxAttr to force. */
export type AttrValue = number | string | readonly number[] | OnnxAttr;

export const floatAttr = (value: number): OnnxAttr => ({ type: 'float', value });
export const intAttr = (value: number): OnnxAttr => ({ type: 'int', value });
export const floatsAttr = (value: readonly number[]): OnnxAttr => ({ type: 'floats', value });
export const intsAttr = (value: readonly number[]): OnnxAttr => ({ type: 'ints', value });

/** A dimension: a size, or -1 / a name for a dynamic one (-1 becomes the symbolic `N`). */
export type Dim = number | string;

export interface ModelOptions {
  opset?: number;
  producer?: string;
  producerVersion?: string;
  docString?: string;
  /** Stored as ModelProto.metadata_props (visible in Netron and onnxruntime's modelMetadata). */
  metadata?: Record<string, string>;
  irVersion?: number;
}

interface ValueInfo {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: Array<{ dim_value?: number; dim_param?: string }> } } };
}

interface TensorMsg {
  name?: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

interface AttrMsg {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorMsg;
  floats?: number[];
  ints?: number[];
}

interface NodeMsg {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain?: string;
  attribute: AttrMsg[];
}

function dataTypeOf(data: InitializerData): number {
  if (data instanceof Float32Array) return OnnxDataType.FLOAT;
  if (data instanceof Float64Array) return OnnxDataType.DOUBLE;
  if (data instanceof Int8Array) return OnnxDataType.INT8;
  if (data instanceof Uint8Array) return OnnxDataType.UINT8;
  if (data instanceof Int32Array) return OnnxDataType.INT32;
  return OnnxDataType.INT64;
}

/** Little-endian bytes (ONNX raw_data is little-endian whatever the host). */
function rawBytes(data: InitializerData): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Int8Array || data instanceof Uint8Array) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  else if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else if (data instanceof Float64Array) data.forEach((v, i) => view.setFloat64(i * 8, v, true));
  else if (data instanceof Int32Array) data.forEach((v, i) => view.setInt32(i * 4, v, true));
  else data.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return out;
}

function tensorMsg(data: InitializerData, dims: readonly number[], name?: string): TensorMsg {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new Error(`tensor ${name ?? '(attribute)'}: dims [${dims.join(', ')}] hold ${count} values but ${data.length} were given`);
  }
  return { ...(name !== undefined ? { name } : {}), dims: [...dims], data_type: dataTypeOf(data), raw_data: rawBytes(data) };
}

function attrMsg(name: string, v: AttrValue): AttrMsg {
  if (typeof v === 'string') return attrMsg(name, { type: 'string', value: v });
  if (typeof v === 'number') return attrMsg(name, Number.isInteger(v) ? intAttr(v) : floatAttr(v));
  if (Array.isArray(v)) {
    const arr = v as readonly number[];
    return attrMsg(name, arr.every((x) => Number.isInteger(x)) ? intsAttr(arr) : floatsAttr(arr));
  }
  const a = v as OnnxAttr;
  switch (a.type) {
    case 'float':
      return { name, type: AttributeType.FLOAT, f: a.value };
    case 'int':
      return { name, type: AttributeType.INT, i: a.value };
    case 'string':
      return { name, type: AttributeType.STRING, s: Buffer.from(a.value, 'utf8') };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: [...a.value] };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: [...a.value] };
    case 'tensor':
      return { name, type: AttributeType.TENSOR, t: tensorMsg(a.data, a.dims) };
  }
}

function valueInfo(name: string, dims: readonly Dim[], elemType: number): ValueInfo {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: {
          dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : d < 0 ? { dim_param: 'N' } : { dim_value: d })),
        },
      },
    },
  };
}

/**
 * Builds an ONNX inference graph node by node and serializes it with protobufjs. Every node input
 * must name a graph input, an initializer or an earlier node's output, so a mistake fails here
 * with the node at fault rather than later inside onnxruntime.
 *
 *   const g = new OnnxGraphBuilder('rul');
 *   g.input('x', [-1, 30, 14]);
 *   g.initializer('W', new Float32Array(14), [14, 1]);
 *   g.node('MatMul', ['x', 'W'], ['y']);
 *   g.output('y', [-1, 30, 1]);
 *   const bytes = g.toModelBytes({ opset: 17, producer: 'pdm-gateway' });
 */
export class OnnxGraphBuilder {
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: TensorMsg[] = [];
  private readonly nodes: NodeMsg[] = [];
  private readonly known = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(readonly name: string) {}

  input(name: string, dims: readonly Dim[], dtype: OnnxDataTypeName = 'FLOAT'): string {
    this.declare(name, `input ${name}`);
    this.inputs.push(valueInfo(name, dims, OnnxDataType[dtype]));
    return name;
  }

  output(name: string, dims: readonly Dim[], dtype: OnnxDataTypeName = 'FLOAT'): string {
    if (!this.known.has(name)) throw new Error(`graph ${this.name}: output ${name} is produced by no node, input or initializer`);
    this.outputs.push(valueInfo(name, dims, OnnxDataType[dtype]));
    return name;
  }

  initializer(name: string, data: InitializerData, dims: readonly number[]): string {
    this.declare(name, `initializer ${name}`);
    this.initializers.push(tensorMsg(data, dims, name));
    return name;
  }

  /** An int64 constant initializer (shapes, axes), named uniquely from `prefix`. */
  int64s(prefix: string, values: readonly number[]): string {
    return this.initializer(this.unique(prefix), BigInt64Array.from(values.map((v) => BigInt(v))), [values.length]);
  }

  /** A float32 constant initializer named uniquely from `prefix`. */
  floats(prefix: string, values: Float32Array | readonly number[], dims: readonly number[] = [values.length]): string {
    return this.initializer(this.unique(prefix), Float32Array.from(values), dims);
  }

  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue> = {}, opts: { name?: string; domain?: string } = {}): string[] {
    const nodeName = opts.name ?? this.unique(opType);
    for (const i of inputs) {
      // '' is ONNX's marker for an omitted optional input.
      if (i !== '' && !this.known.has(i)) throw new Error(`graph ${this.name}: node ${nodeName} (${opType}) reads ${i}, which nothing produces`);
    }
    for (const o of outputs) this.declare(o, `node ${nodeName} output ${o}`);
    this.nodes.push({
      input: [...inputs],
      output: [...outputs],
      name: nodeName,
      op_type: opType,
      ...(opts.domain ? { domain: opts.domain } : {}),
      attribute: Object.entries(attrs).map(([k, v]) => attrMsg(k, v)),
    });
    return [...outputs];
  }

  /** One-output node whose output gets a fresh name derived from `prefix`. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, prefix = opType.toLowerCase()): string {
    return this.node(opType, inputs, [this.unique(prefix)], attrs)[0]!;
  }

  /** A name not used yet in this graph: `prefix`, then `prefix_1`, `prefix_2`, ... */
  unique(prefix: string): string {
    let n = this.counters.get(prefix) ?? 0;
    let name = n === 0 ? prefix : `${prefix}_${n}`;
    while (this.known.has(name)) name = `${prefix}_${++n}`;
    this.counters.set(prefix, n + 1);
    return name;
  }

  has(name: string): boolean {
    return this.known.has(name);
  }

  toModelBytes(opts: ModelOptions = {}): Uint8Array {
    if (this.outputs.length === 0) throw new Error(`graph ${this.name}: no outputs declared`);
    const opset = opts.opset ?? 17;
    const Model = modelProtoType();
    const msg = {
      // IR 8 is what opset 17/18 ships with; onnxruntime 1.x reads IR 3..10.
      ir_version: opts.irVersion ?? (opset >= 19 ? 9 : 8),
      opset_import: [{ domain: '', version: opset }],
      producer_name: opts.producer ?? 'pdm-gateway',
      producer_version: opts.producerVersion ?? '',
      doc_string: opts.docString ?? '',
      graph: { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
      metadata_props: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
    const err = Model.verify(msg);
    if (err) throw new Error(`graph ${this.name}: invalid ONNX message: ${err}`);
    return Model.encode(Model.fromObject(msg)).finish();
  }

  private declare(name: string, what: string): void {
    if (!name) throw new Error(`graph ${this.name}: ${what} has an empty name`);
    if (this.known.has(name)) throw new Error(`graph ${this.name}: ${what}: the name ${name} is already used`);
    this.known.add(name);
  }
}
