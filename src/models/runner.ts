import { ModelRejectedError, ScoreError } from './errors';
import { fmtShape } from './input-assembly';
import type { ManifestOutput, ModelManifest } from './manifest';
import type { GraphInfo } from './graph-info';
import { createSessionHost, type Feed, type InferenceThread, type RunOutput, type SessionHost, type SessionHostStats } from './session-host';

export interface LoadOptions {
  readonly dir: string;
  readonly manifest: ModelManifest;
  readonly bytes: Uint8Array;
  readonly keyId?: string;
  readonly threads: number;
  /** Where the session runs (default: this thread). */
  readonly thread?: InferenceThread;
}

/**
 * One model version with its onnxruntime session, created once. The manifest is checked against
 * the graph (names, types, shapes) and the model is probed with one all-zero window before it may
 * score; run() takes a whole batch and returns one value per window (NaN is left to the caller,
 * which decides about rollback).
 */
export class LoadedModel {
  readonly id: string;
  readonly version: string;
  readonly ref: string;
  /** Windows per run when the graph has a fixed batch dimension; undefined when dynamic. */
  readonly fixedBatch: number | undefined;
  readonly scoreOutput: ManifestOutput;
  private released = false;

  private constructor(
    readonly dir: string,
    readonly manifest: ModelManifest,
    readonly keyId: string | undefined,
    private readonly session: SessionHost,
  ) {
    this.id = manifest.id;
    this.version = manifest.version;
    this.ref = `${manifest.id}@${manifest.version}`;
    this.scoreOutput = pickScoreOutput(this.ref, manifest);
    this.fixedBatch = checkGraph(this.ref, manifest, session.graph);
  }

  static async load(o: LoadOptions): Promise<LoadedModel> {
    const ref = `${o.manifest.id}@${o.manifest.version}`;
    let session: SessionHost;
    try {
      session = await createSessionHost(o.bytes, o.thread ?? 'main', { threads: o.threads });
    } catch (e) {
      throw new ModelRejectedError(`model ${ref}`, 'load', `onnxruntime cannot load ${o.manifest.file}: ${firstLine(e)}`, { cause: e });
    }
    let m: LoadedModel;
    try {
      m = new LoadedModel(o.dir, o.manifest, o.keyId, session);
    } catch (e) {
      await session.release();
      throw e;
    }
    await m.probe();
    return m;
  }

  /** Where the session runs. */
  get thread(): InferenceThread {
    return this.session.thread;
  }

  /** An input buffer of `values` floats that run() hands to the session without a copy on this thread. */
  alloc(values: number): Float32Array {
    return this.session.alloc(values);
  }

  sessionStats(): SessionHostStats {
    return this.session.stats();
  }

  /** Values per window of each input. */
  rowSize(input: number): number {
    return this.manifest.inputs[input].shape.slice(1).reduce((p, d) => p * d, 1);
  }

  /**
   * Runs `batch` windows; `inputs[i]` holds batch x rowSize(i) values. Returns one score per window.
   * A graph with a fixed batch gets padded (copies of the last window) and the padding is dropped.
   */
  async run(inputs: readonly Float32Array[], batch: number): Promise<Float64Array> {
    if (this.released) throw new ScoreError(`model ${this.ref}`, 'the session was released (model replaced)');
    const runBatch = this.fixedBatch ?? batch;
    if (this.fixedBatch !== undefined && batch > this.fixedBatch) throw new ScoreError(`model ${this.ref}`, `batch ${batch} exceeds the graph's fixed batch ${this.fixedBatch}`);
    const feeds: Feed[] = [];
    this.manifest.inputs.forEach((inp, i) => {
      const size = this.rowSize(i);
      let data = inputs[i];
      if (data.length !== batch * size) {
        throw new ScoreError(`model ${this.ref}`, `input '${inp.name}': got ${data.length} values for ${batch} windows, expected ${fmtShape([batch, ...inp.shape.slice(1)])}`);
      }
      if (runBatch > batch) {
        const padded = new Float32Array(runBatch * size);
        padded.set(data);
        for (let b = batch; b < runBatch; b++) padded.copyWithin(b * size, (batch - 1) * size, batch * size);
        data = padded;
      }
      feeds.push({ name: inp.name, data, dims: [runBatch, ...inp.shape.slice(1)] });
    });
    let out: RunOutput | undefined;
    try {
      out = await this.session.run(feeds, this.scoreOutput.name);
    } catch (e) {
      throw new ScoreError(`model ${this.ref}`, `onnxruntime run failed: ${firstLine(e)}`, { cause: e });
    }
    return this.extract(out, batch, inputs[0]);
  }

  /** Why this value is not a valid output (NaN, infinite, outside the manifest range), or undefined. */
  invalid(v: number): string | undefined {
    if (!Number.isFinite(v)) return `output '${this.scoreOutput.name}' is ${v}`;
    const r = this.scoreOutput.range;
    if (r && this.scoreOutput.meaning !== 'reconstruction' && (v < r[0] || v > r[1])) return `output '${this.scoreOutput.name}' = ${v} is outside its range [${r[0]}, ${r[1]}]`;
    return undefined;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }

  private extract(t: RunOutput | undefined, batch: number, input0: Float32Array): Float64Array {
    const name = this.scoreOutput.name;
    if (!t || t.type !== 'float32') throw new ScoreError(`model ${this.ref}`, `output '${name}' is missing or not float32 (${t?.type ?? 'absent'})`);
    const data = t.data;
    const per = t.dims.length === 0 ? 0 : data.length / t.dims[0];
    const values = new Float64Array(batch);
    if (this.scoreOutput.meaning === 'reconstruction') {
      // Autoencoder: the anomaly score is the mean squared reconstruction error of input 0.
      const size = this.rowSize(0);
      if (per !== size) throw new ScoreError(`model ${this.ref}`, `output '${name}' has shape ${fmtShape(t.dims)}; a reconstruction of input '${this.manifest.inputs[0].name}' needs ${size} values per window`);
      const r = this.scoreOutput.range;
      for (let b = 0; b < batch; b++) {
        let se = 0;
        for (let k = 0; k < size; k++) {
          const o = data[b * size + k];
          if (r && (o < r[0] || o > r[1])) {
            se = NaN;
            break;
          }
          const d = o - input0[b * size + k];
          se += d * d;
        }
        values[b] = se / size;
      }
      return values;
    }
    if (per !== 1) throw new ScoreError(`model ${this.ref}`, `output '${name}' has shape ${fmtShape(t.dims)}; expected one ${this.scoreOutput.meaning} per window ([N] or [N, 1])`);
    for (let b = 0; b < batch; b++) values[b] = data[b];
    return values;
  }

  private async probe(): Promise<void> {
    const zeros = this.manifest.inputs.map((_, i) => new Float32Array(this.rowSize(i)));
    let v: Float64Array;
    try {
      v = await this.run(zeros, 1);
    } catch (e) {
      await this.release();
      throw new ModelRejectedError(`model ${this.ref}`, 'probe', `probe run on an all-zero window failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (!Number.isFinite(v[0])) {
      await this.release();
      throw new ModelRejectedError(`model ${this.ref}`, 'probe', `probe run on an all-zero window gave ${v[0]}`);
    }
  }
}

function pickScoreOutput(ref: string, m: ModelManifest): ManifestOutput {
  const want: ManifestOutput['meaning'][] = m.kind === 'anomaly' ? ['anomaly-score', 'reconstruction'] : ['rul'];
  for (const w of want) {
    const o = m.outputs.find((x) => x.meaning === w);
    if (o) return o;
  }
  throw new ModelRejectedError(`model ${ref}`, 'manifest', `a ${m.kind} model needs an output with meaning ${want.join(' or ')} (outputs: ${m.outputs.map((o) => `${o.name}=${o.meaning}`).join(', ')})`);
}

/** Checks the manifest against the graph; returns the fixed batch size, if any. */
function checkGraph(ref: string, m: ModelManifest, s: GraphInfo): number | undefined {
  const fail = (msg: string): never => {
    throw new ModelRejectedError(`model ${ref}`, 'shape', msg);
  };
  let fixed: number | undefined;
  for (const inp of m.inputs) {
    const meta = s.inputs.find((x) => x.name === inp.name);
    if (!meta) fail(`manifest input '${inp.name}' is not an input of the ONNX graph (graph inputs: ${s.inputs.map((i) => i.name).join(', ')})`);
    if (!meta!.isTensor || meta!.type !== 'float32') fail(`input '${inp.name}' is ${meta!.isTensor ? meta!.type : 'not a tensor'} in the ONNX graph; the manifest says float32 (the gateway feeds float32: export the model with float32 inputs)`);
    const g = meta!.shape;
    if (g.length > 0) {
      const same = g.length === inp.shape.length && g.every((d, i) => typeof d !== 'number' || d < 0 || inp.shape[i] < 0 || d === inp.shape[i]);
      if (!same) fail(`input '${inp.name}': the manifest says ${fmtShape(inp.shape)} but the ONNX graph has ${fmtShape(g)}`);
      if (typeof g[0] === 'number' && g[0] > 0) fixed = g[0];
    }
    if (inp.shape[0] > 0) fixed = inp.shape[0];
  }
  for (const { name } of s.inputs) if (!m.inputs.some((i) => i.name === name)) fail(`graph input '${name}' is not described by the manifest`);
  for (const o of m.outputs) if (!s.outputNames.includes(o.name)) fail(`manifest output '${o.name}' is not an output of the ONNX graph (graph outputs: ${s.outputNames.join(', ')})`);
  return fixed;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
