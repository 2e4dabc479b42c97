import { createLayer, toNTC, type ExportOptions, type Layer, type LayerSpec, type OnnxValue, type Param } from './layers';
import { OnnxGraphBuilder, readOnnxModel, type ModelOptions } from './onnx';
import { Rng } from './rng';
import { alloc, sizeOf, type Dtype, type FArray, type Tensor } from './tensor';

export interface SequentialOptions {
  seed?: number;
  dtype?: Dtype;
  /** Prefix of every parameter name (members of one ensemble graph need distinct names). */
  namePrefix?: string;
}

/** Metadata keys that let a float model exported by `toOnnx` be loaded back for fine-tuning. */
const META_LAYERS = 'pdm-gateway.layers';
const META_INPUT = 'pdm-gateway.inputShape';
const META_PREFIX = 'pdm-gateway.namePrefix';

/** A stack of layers: forward, backward, parameters, batched prediction and ONNX export. */
export class Sequential {
  readonly layers: Layer[];
  readonly outShape: number[];
  readonly dtype: Dtype;
  readonly namePrefix: string;

  constructor(
    readonly specs: readonly LayerSpec[],
    readonly inShape: readonly number[],
    opts: SequentialOptions = {},
  ) {
    this.dtype = opts.dtype ?? 'float32';
    this.namePrefix = opts.namePrefix ?? '';
    const rng = new Rng(opts.seed ?? 1);
    this.layers = specs.map(createLayer);
    let shape = [...inShape];
    this.layers.forEach((l, i) => {
      shape = l.build(shape, rng, this.dtype, `${this.namePrefix}l${i}_${l.type.replace(/-/g, '_')}`);
    });
    this.outShape = shape;
  }

  forward(x: Tensor, training = false): Tensor {
    let t = x;
    for (const l of this.layers) t = l.forward(t, training);
    return t;
  }

  backward(dy: Tensor): Tensor {
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) g = this.layers[i]!.backward(g);
    return g;
  }

  params(): Param[] {
    return this.layers.flatMap((l) => l.params());
  }

  paramCount(): number {
    return this.params().reduce((a, p) => a + p.value.length, 0);
  }

  /** Inference over `n` samples stored back to back in `x`, in batches; returns a fresh array. */
  predict(x: FArray, batchSize = 256): FArray {
    const inSize = sizeOf(this.inShape);
    const outSize = sizeOf(this.outShape);
    const n = x.length / inSize;
    const out = alloc(this.dtype, n * outSize);
    for (let s = 0; s < n; s += batchSize) {
      const b = Math.min(batchSize, n - s);
      const y = this.forward({ data: x.subarray(s * inSize, (s + b) * inSize), shape: [b, ...this.inShape] }, false);
      out.set(y.data.subarray(0, b * outSize), s * outSize);
    }
    return out;
  }

  /** Copies of every parameter (for keeping the best epoch). */
  snapshot(): FArray[] {
    return this.params().map((p) => p.value.slice());
  }

  restore(weights: readonly FArray[]): void {
    this.params().forEach((p, i) => p.value.set(weights[i]!));
  }

  /** Appends the layers to a graph reading `x`; the result is channels-last or flat. */
  exportInto(g: OnnxGraphBuilder, x: OnnxValue, opts: ExportOptions = {}): OnnxValue {
    let v = x;
    for (const l of this.layers) v = l.exportOnnx(g, v, opts);
    return toNTC(g, v);
  }

  /** A standalone ONNX model: input `x` [-1, ...inShape], output `y` [-1, ...outShape]. */
  toOnnx(opts: ModelOptions & ExportOptions & { input?: string; output?: string; graphName?: string } = {}): Uint8Array {
    const input = opts.input ?? 'x';
    const output = opts.output ?? 'y';
    const g = new OnnxGraphBuilder(opts.graphName ?? 'sequential');
    g.input(input, [-1, ...this.inShape]);
    const y = this.exportInto(g, { name: input, layout: this.inShape.length === 2 ? 'NTC' : 'flat' }, { int8: opts.int8 ?? false });
    g.node('Identity', [y.name], [output]);
    g.output(output, [-1, ...this.outShape]);
    return g.toModelBytes({ ...opts, metadata: { ...this.metadata(), ...(opts.metadata ?? {}) } });
  }

  /** What `fromOnnx` needs besides the initializers. */
  metadata(): Record<string, string> {
    return { [META_LAYERS]: JSON.stringify(this.specs), [META_INPUT]: JSON.stringify(this.inShape), ...(this.namePrefix ? { [META_PREFIX]: this.namePrefix } : {}) };
  }

  /** Rebuilds a float model written by `toOnnx` (or by a wrapper that kept its metadata and names). */
  static fromOnnx(bytes: Uint8Array, opts: SequentialOptions & { specs?: LayerSpec[] } = {}): Sequential {
    const info = readOnnxModel(bytes);
    const layers = info.metadata[META_LAYERS];
    const inShape = info.metadata[META_INPUT];
    if (!layers || !inShape) throw new Error(`ONNX model ${info.graphName}: no ${META_LAYERS} metadata; only float models written by pdm-gateway can be loaded for training`);
    const prefix = info.metadata[META_PREFIX];
    // `specs` rebuilds a member of an ensemble whose layers differ from the first member's (the file's metadata).
    const { specs, ...rest } = opts;
    const model = new Sequential(specs ?? (JSON.parse(layers) as LayerSpec[]), JSON.parse(inShape) as number[], { ...(prefix ? { namePrefix: prefix } : {}), ...rest });
    const lookup = (name: string): Float32Array => {
      const t = info.initializers.get(name);
      if (!(t?.data instanceof Float32Array)) throw new Error(`ONNX model ${info.graphName}: float initializer ${name} is missing`);
      return t.data;
    };
    for (const l of model.layers) l.importOnnx(lookup);
    return model;
  }
}
