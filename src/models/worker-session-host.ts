import { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import { graphInfo, type GraphInfo, type SessionMetadata } from './graph-info';
import type { Feed, InferenceThread, RunOutput, SessionHost, SessionHostStats } from './session-host';

/**
 * The worker's code. It is a string run with `eval` (not a file of its own) so the same code runs
 * from the compiled gateway and under ts-jest, which cannot start a worker from a .ts file. It
 * owns one onnxruntime session; inputs arrive as views on SharedArrayBuffers (no copy on the
 * gateway's thread) and are copied here into plain buffers, because onnxruntime-node refuses
 * shared memory as tensor data.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;
const local = new Map();
function plain(name, data) {
  let b = local.get(name);
  if (!b || b.length !== data.length) local.set(name, b = new Float32Array(data.length));
  b.set(data);
  return b;
}
// One message at a time, in order: a release never overtakes a run.
let queue = Promise.resolve();
parentPort.on('message', (m) => { queue = queue.then(() => handle(m)); });
async function handle(m) {
  try {
    if (m.op === 'create') {
      session = await ort.InferenceSession.create(m.bytes, m.options);
      parentPort.postMessage({ id: m.id, ok: true, meta: { inputMetadata: session.inputMetadata, outputNames: session.outputNames } });
    } else if (m.op === 'run') {
      const feeds = {};
      for (const f of m.feeds) feeds[f.name] = new ort.Tensor('float32', plain(f.name, f.data), f.dims);
      const t = (await session.run(feeds, [m.output]))[m.output];
      if (!t) parentPort.postMessage({ id: m.id, ok: true, out: null });
      else if (t.data instanceof Float32Array) parentPort.postMessage({ id: m.id, ok: true, out: { type: t.type, data: t.data, dims: t.dims } }, [t.data.buffer]);
      else parentPort.postMessage({ id: m.id, ok: true, out: { type: t.type, data: Array.from(t.data, Number), dims: t.dims } });
    } else if (m.op === 'exit') {
      process.exit(1);
    } else if (m.op === 'release') {
      if (session) await session.release();
      session = undefined;
      parentPort.postMessage({ id: m.id, ok: true });
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
}
`;

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly meta?: SessionMetadata;
  readonly out?: RunOutput | null;
}

interface Call {
  resolve(r: Reply): void;
  reject(e: Error): void;
}

/**
 * A session in a worker thread of its own, so a model run never blocks the gateway's event loop
 * (OPC-UA keep-alives, Modbus polls, MQTT acks go on while it scores) and the window path and
 * the model run on two cores at once. A worker that dies (a native crash) fails the calls in
 * flight; the next run starts a new one from the same bytes. The worker holds the process open
 * only while a call is in flight.
 */
export class WorkerSessionHost implements SessionHost {
  readonly thread: InferenceThread = 'worker';
  private worker: Worker | undefined;
  private info: GraphInfo = { inputs: [], outputNames: [] };
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private restarts = 0;
  private released = false;

  private constructor(
    private readonly bytes: Uint8Array,
    private readonly options: ort.InferenceSession.SessionOptions,
  ) {}

  static async create(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<WorkerSessionHost> {
    const host = new WorkerSessionHost(bytes, options);
    host.info = await host.spawn();
    return host;
  }

  get graph(): GraphInfo {
    return this.info;
  }

  alloc(values: number): Float32Array {
    return new Float32Array(new SharedArrayBuffer(values * Float32Array.BYTES_PER_ELEMENT));
  }

  async run(feeds: readonly Feed[], output: string): Promise<RunOutput | undefined> {
    if (this.released) throw new Error('the session was released');
    if (!this.worker) {
      await this.spawn();
      this.restarts++;
    }
    const r = await this.call({ op: 'run', feeds, output });
    return r.out ?? undefined;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const w = this.worker;
    if (!w) return;
    try {
      await this.call({ op: 'release' });
    } finally {
      this.worker = undefined;
      await w.terminate();
    }
  }

  stats(): SessionHostStats {
    return { workerRestarts: this.restarts };
  }

  /**
   * Test hook: the worker exits with code 1 once the messages before this one are done, as a
   * crash would end it (runs posted after it fail; the next run starts a new worker). It exits
   * between messages, never under a native run.
   */
  kill(): Promise<void> {
    const w = this.worker;
    if (!w) return Promise.resolve();
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    w.postMessage({ op: 'exit', id: 0 });
    return exited;
  }

  /** Starts a worker and creates the session in it; onnxruntime's error when it cannot. */
  private async spawn(): Promise<GraphInfo> {
    const worker = new Worker(WORKER_CODE, { eval: true, workerData: { ortPath: require.resolve('onnxruntime-node') } });
    this.adopt(worker);
    try {
      const r = await this.call({ op: 'create', bytes: this.bytes, options: this.options });
      return graphInfo(r.meta as SessionMetadata);
    } catch (e) {
      this.worker = undefined;
      await worker.terminate();
      throw e;
    }
  }

  private adopt(worker: Worker): void {
    this.worker = worker;
    worker.unref();
    worker.on('message', (r: Reply) => {
      const c = this.calls.get(r.id);
      if (!c) return;
      this.calls.delete(r.id);
      if (this.calls.size === 0) worker.unref();
      if (r.ok) c.resolve(r);
      else c.reject(new Error(r.error ?? 'onnxruntime failed in the inference thread'));
    });
    const fail = (e: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const c of this.calls.values()) c.reject(e);
      this.calls.clear();
    };
    worker.on('error', (e) => fail(new Error(`the inference thread failed: ${e.message}`)));
    worker.on('exit', (code) => fail(new Error(`the inference thread exited (code ${code})`)));
  }

  private call(msg: Record<string, unknown>): Promise<Reply> {
    const w = this.worker;
    if (!w) return Promise.reject(new Error('the inference thread is not running'));
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      if (this.calls.size === 0) w.ref();
      this.calls.set(id, { resolve, reject });
      w.postMessage({ ...msg, id });
    });
  }
}
