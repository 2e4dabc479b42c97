import * as ort from 'onnxruntime-node';
import { graphInfo, type GraphInfo } from './graph-info';
import { WorkerSessionHost } from './worker-session-host';

/** Where a model's onnxruntime session runs. */
export type InferenceThread = 'worker' | 'main';

export interface Feed {
  readonly name: string;
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface RunOutput {
  readonly type: string;
  readonly data: ArrayLike<number>;
  readonly dims: readonly number[];
}

export interface SessionOptions {
  readonly threads: number;
}

/**
 * One onnxruntime session, in this thread or in a worker thread of its own. Callers write their
 * inputs into buffers from alloc(): a worker reads those without a copy on the calling thread.
 */
export interface SessionHost {
  readonly graph: GraphInfo;
  readonly thread: InferenceThread;
  alloc(values: number): Float32Array;
  /** Runs the graph and returns the one output asked for (undefined when the graph gave none). */
  run(feeds: readonly Feed[], output: string): Promise<RunOutput | undefined>;
  release(): Promise<void>;
  stats(): SessionHostStats;
}

export interface SessionHostStats {
  /** Times the worker thread died and was started again (0 in the main thread). */
  workerRestarts: number;
}

/** Session options shared by both threads: one place for the provider and optimisation level. */
export function ortOptions(o: SessionOptions): ort.InferenceSession.SessionOptions {
  return { intraOpNumThreads: o.threads, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
}

/** The session in the calling thread: each run blocks the event loop for its duration. */
class MainSessionHost implements SessionHost {
  readonly thread = 'main';
  readonly graph: GraphInfo;

  constructor(private readonly session: ort.InferenceSession) {
    this.graph = graphInfo(session);
  }

  alloc(values: number): Float32Array {
    return new Float32Array(values);
  }

  async run(feeds: readonly Feed[], output: string): Promise<RunOutput | undefined> {
    const f: Record<string, ort.Tensor> = {};
    for (const x of feeds) f[x.name] = new ort.Tensor('float32', x.data, x.dims);
    const t = (await this.session.run(f, [output]))[output];
    return t && { type: t.type, data: t.data as ArrayLike<number>, dims: t.dims };
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  stats(): SessionHostStats {
    return { workerRestarts: 0 };
  }
}

/** Creates the session where asked; onnxruntime's own error when it cannot load the bytes. */
export async function createSessionHost(bytes: Uint8Array, thread: InferenceThread, o: SessionOptions): Promise<SessionHost> {
  if (thread === 'worker') return WorkerSessionHost.create(bytes, ortOptions(o));
  return new MainSessionHost(await ort.InferenceSession.create(bytes, ortOptions(o)));
}
