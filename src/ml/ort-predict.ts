import * as ort from 'onnxruntime-node';
import { ortOptions } from '../models/session-host';

/**
 * Runs a single-input, single-output ONNX model over `n` samples in batches (evaluation and
 * benchmarks run the shipped file itself, not the TypeScript network it came from).
 */
export class OrtModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly input: string,
    readonly output: string,
  ) {}

  static async load(bytes: Uint8Array, opts: { threads?: number } = {}): Promise<OrtModel> {
    const session = await ort.InferenceSession.create(bytes, ortOptions({ threads: opts.threads ?? 1 }));
    return new OrtModel(session, session.inputNames[0]!, session.outputNames[0]!);
  }

  /** `x` holds n samples of shape `sample`; returns the concatenated outputs. */
  async run(x: Float32Array, sample: readonly number[], batch = 256): Promise<Float32Array> {
    const size = sample.reduce((a, b) => a * b, 1);
    const n = x.length / size;
    const parts: Float32Array[] = [];
    for (let s = 0; s < n; s += batch) {
      const b = Math.min(batch, n - s);
      const out = await this.session.run({ [this.input]: new ort.Tensor('float32', x.subarray(s * size, (s + b) * size), [b, ...sample]) });
      parts.push(Float32Array.from(out[this.output]!.data as Float32Array));
    }
    const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return all;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
