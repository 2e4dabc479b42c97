/** @jest-environment ./test/ml/ort-environment.js */
import { join } from 'node:path';
import { verifyAndLoad } from '../../src/models/loader';
import { modelManifest } from '../../src/models/manifest';
import { LoadedModel } from '../../src/models/runner';
import { Batcher } from '../../src/models/batcher';
import { WorkerSessionHost } from '../../src/models/worker-session-host';
import { framesManifest, halfModel, linearModel, meanModel, sandbox, sha256, slowModel, writeModel, type Sandbox } from './fixtures';
import { createSessionHost, type InferenceThread } from '../../src/models/session-host';

describe.each<InferenceThread>(['main', 'worker'])('LoadedModel (onnxruntime-node session, %s thread)', (thread) => {
  async function load(bytes: Uint8Array, manifest: Record<string, unknown>): Promise<LoadedModel> {
    const m = await LoadedModel.load({ dir: '.', manifest: modelManifest.parse(manifest), bytes, threads: 1, thread });
    expect(m.thread).toBe(thread);
    return m;
  }

  it('runs a batch and returns one score per window', async () => {
    const bytes = meanModel(2, 2, { scale: 2 });
    const m = await load(bytes, framesManifest({ id: 'mean', version: '1.0.0', bytes }, 2, ['a', 'b']));
    const v = await m.run([Float32Array.from([1, 1, 1, 1, 0, 1, 2, 3, -4, -4, -4, -4])], 3);
    expect(Array.from(v)).toEqual([2, 3, -8]);
    expect(m.fixedBatch).toBeUndefined();
    await m.release();
    await expect(m.run([new Float32Array(4)], 1)).rejects.toThrow('model mean@1.0.0: the session was released (model replaced)');
  });

  it('pads a fixed-batch graph and drops the padding', async () => {
    const bytes = meanModel(2, 1, { fixedBatch: 4 });
    const man = framesManifest({ id: 'fixed', version: '1.0.0', bytes }, 2, ['a']);
    const m = await load(bytes, man);
    expect(m.fixedBatch).toBe(4);
    expect(Array.from(await m.run([Float32Array.from([1, 3, 5, 7])], 2))).toEqual([2, 6]);
    await m.release();
  });

  it('scores a reconstruction output as the mean squared error against the input', async () => {
    const bytes = halfModel(2, 1);
    const man = { ...framesManifest({ id: 'ae', version: '1.0.0', bytes }, 2, ['a']), outputs: [{ name: 'recon', meaning: 'reconstruction' }] };
    const m = await load(bytes, man);
    // input [2, 4]: recon [1, 2], errors 1 and 4 -> 2.5
    expect(Array.from(await m.run([Float32Array.from([2, 4])], 1))).toEqual([2.5]);
    await m.release();
  });

  it('rejects a manifest whose input shape differs from the graph, naming the model, the input and both shapes', async () => {
    const bytes = meanModel(10, 2, { graphFrames: 5 });
    await expect(load(bytes, framesManifest({ id: 'wrong', version: '2.0.0', bytes }, 10, ['a', 'b']))).rejects.toThrow(
      "model wrong@2.0.0: input 'x': the manifest says [-1, 10, 2] but the ONNX graph has [N, 5, 2]",
    );
  });

  it('rejects manifest inputs/outputs missing from the graph and graph inputs missing from the manifest', async () => {
    const bytes = linearModel([1, 2]);
    const base = { id: 'lin', version: '1.0.0', kind: 'anomaly', sha256: sha256(bytes), outputs: [{ name: 'score', meaning: 'anomaly-score' }] };
    await expect(load(bytes, { ...base, inputs: [{ name: 'g', layout: 'features', shape: [-1, 2], features: ['a.mean', 'a.std'] }] }))
      .rejects.toThrow("model lin@1.0.0: manifest input 'g' is not an input of the ONNX graph (graph inputs: f)");
    await expect(load(bytes, { ...base, inputs: [{ name: 'f', layout: 'features', shape: [-1, 2], features: ['a.mean', 'a.std'] }], outputs: [{ name: 'out', meaning: 'anomaly-score' }] }))
      .rejects.toThrow("model lin@1.0.0: manifest output 'out' is not an output of the ONNX graph (graph outputs: score)");
    await expect(load(bytes, { ...base, kind: 'rul', inputs: [{ name: 'f', layout: 'features', shape: [-1, 2], features: ['a.mean', 'a.std'] }] }))
      .rejects.toThrow('model lin@1.0.0: a rul model needs an output with meaning rul (outputs: score=anomaly-score)');
  });

  it('rejects a graph whose input is not float32, naming the model, the input and both types', async () => {
    const { OnnxGraphBuilder } = await import('../../src/ml/onnx');
    const g = new OnnxGraphBuilder('i64');
    g.input('x', [-1, 2, 1], 'INT64');
    g.node('Cast', ['x'], ['xf'], { to: 1 }); // to FLOAT
    g.node('ReduceMean', ['xf', g.int64s('axes', [1, 2])], ['score'], { keepdims: 0 });
    g.output('score', [-1]);
    const bytes = g.toModelBytes({ opset: 18 });
    const err = await load(bytes, framesManifest({ id: 'i64', version: '1.0.0', bytes }, 2, ['a'])).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'shape', message: "model i64@1.0.0: input 'x' is int64 in the ONNX graph; the manifest says float32 (the gateway feeds float32: export the model with float32 inputs)" });
  });

  it('rejects a graph with an input the manifest does not describe, naming the model and the input', async () => {
    const { OnnxGraphBuilder } = await import('../../src/ml/onnx');
    const g = new OnnxGraphBuilder('two');
    g.input('x', [-1, 2, 1]);
    g.input('extra', [-1, 1]);
    const mx = g.op('ReduceMean', ['x', g.int64s('ax', [1, 2])], { keepdims: 0 });
    const me = g.op('ReduceMean', ['extra', g.int64s('ae', [1])], { keepdims: 0 });
    g.node('Add', [mx, me], ['score']);
    g.output('score', [-1]);
    const bytes = g.toModelBytes({ opset: 18 });
    const err = await load(bytes, framesManifest({ id: 'two', version: '1.0.0', bytes }, 2, ['a'])).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'shape', message: "model two@1.0.0: graph input 'extra' is not described by the manifest" });
  });

  it('rejects a model whose probe on an all-zero window is not finite', async () => {
    const { OnnxGraphBuilder } = await import('../../src/ml/onnx');
    const g = new OnnxGraphBuilder('log');
    g.input('x', [-1, 2, 1]);
    g.node('Log', ['x'], ['l']);
    g.node('ReduceSum', ['l', g.int64s('axes', [1, 2])], ['score'], { keepdims: 0 });
    g.output('score', [-1]);
    const logBytes = g.toModelBytes({ opset: 17 });
    await expect(load(logBytes, framesManifest({ id: 'log', version: '1.0.0', bytes: logBytes }, 2, ['a'])))
      .rejects.toThrow('model log@1.0.0: probe run on an all-zero window gave -Infinity');
  });

  it('batcher: windows submitted in one turn go out as one run, capped at maxBatch', async () => {
    const bytes = meanModel(1, 1);
    const m = await load(bytes, framesManifest({ id: 'b', version: '1.0.0', bytes }, 1, ['a']));
    const b = new Batcher(m, 4);
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit([Float32Array.of(i)])));
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(b.stats).toMatchObject({ batches: 3, windows: 10, maxBatchSeen: 4 });
    await b.drained();
    await m.release();
  });

  it('refuses bytes onnxruntime cannot parse, with its reason', async () => {
    const bytes = Uint8Array.from([1, 2, 3, 4, 5]);
    await expect(load(bytes, framesManifest({ id: 'junk', version: '1.0.0', bytes }, 2, ['a']))).rejects.toMatchObject({ reason: 'load', message: expect.stringContaining('model junk@1.0.0: onnxruntime cannot load model.onnx: ') });
  });
});

describe('the inference worker thread', () => {
  it('gives the same scores as the main thread, with input buffers in shared memory', async () => {
    const bytes = meanModel(3, 2, { scale: 3 });
    const man = modelManifest.parse(framesManifest({ id: 'w', version: '1.0.0', bytes }, 3, ['a', 'b']));
    const [main, worker] = await Promise.all((['main', 'worker'] as const).map((thread) => LoadedModel.load({ dir: '.', manifest: man, bytes, threads: 1, thread })));
    const x = worker.alloc(4 * 6);
    expect(x.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(main.alloc(6).buffer).not.toBeInstanceOf(SharedArrayBuffer);
    for (let i = 0; i < x.length; i++) x[i] = (i * 7) % 11 - 5;
    const want = Array.from(await main.run([Float32Array.from(x)], 4));
    expect(want).toHaveLength(4);
    expect(Array.from(await worker.run([x], 4))).toEqual(want);
    // Views (the batcher hands out the first rows of its buffers) keep their offset and length.
    expect(Array.from(await worker.run([x.subarray(6, 18)], 2))).toEqual(want.slice(1, 3));
    await Promise.all([main.release(), worker.release()]);
  });

  it('fails the runs in flight when the thread dies, then starts a new one from the same model', async () => {
    const host = await WorkerSessionHost.create(slowModel(600), { intraOpNumThreads: 1 });
    const feeds = [{ name: 'x', data: new Float32Array(600 * 600).fill(0.5), dims: [1, 600, 600] }];
    expect(Array.from((await host.run(feeds, 'score'))!.data)).toEqual([150]);
    const dying = host.kill();
    const inFlight = host.run(feeds, 'score');
    await dying;
    await expect(inFlight).rejects.toThrow('the inference thread exited (code 1)');
    expect(host.stats().workerRestarts).toBe(0);
    expect(Array.from((await host.run(feeds, 'score'))!.data)).toEqual([150]);
    expect(host.stats().workerRestarts).toBe(1);
    // A release waits for the run before it (the worker takes one message at a time).
    const last = host.run(feeds, 'score');
    await host.release();
    expect(Array.from((await last)!.data)).toEqual([150]);
    await expect(host.run(feeds, 'score')).rejects.toThrow('the session was released');
  });
});

describe('where the session runs decides whether a run blocks the event loop', () => {
  /** The longest pause of a 2 ms interval while three runs go one after the other, and the shortest run. */
  async function pauses(thread: InferenceThread): Promise<{ maxGap: number; minRun: number }> {
    const host = await createSessionHost(slowModel(), thread, { threads: 1 });
    const feeds = [{ name: 'x', data: host.alloc(1200 * 1200).fill(0.5), dims: [1, 1200, 1200] }];
    await host.run(feeds, 'score');
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 2);
    let minRun = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const out = await host.run(feeds, 'score');
      minRun = Math.min(minRun, performance.now() - t0);
      expect(Array.from(out!.data)).toEqual([300]);
    }
    clearInterval(timer);
    await host.release();
    return { maxGap, minRun };
  }

  it('main: the event loop stops for a whole run; worker: it keeps turning', async () => {
    const main = await pauses('main');
    expect(main.maxGap).toBeGreaterThan(0.8 * main.minRun);
    const worker = await pauses('worker');
    expect(worker.maxGap).toBeLessThan(0.5 * worker.minRun);
  });
});

describe('verification before load', () => {
  let sb: Sandbox;
  beforeAll(() => { sb = sandbox(); });
  afterAll(() => sb.cleanup());
  const trusted = async (): Promise<Map<string, import('node:crypto').KeyObject>> => (await import('../../src/models/signing')).loadTrustedKeys([join(sb.shipped, 'trusted')]).keys;

  it('loads a signed model and reports its key id', async () => {
    const bytes = meanModel(2, 1);
    const dir = writeModel(join(sb.root, 'v1'), bytes, framesManifest({ id: 'v', version: '1.0.0', bytes }, 2, ['a']), sb.key);
    const keys = await trusted();
    const m = await verifyAndLoad(dir, { trusted: keys, requireSignature: true, threads: 1 });
    expect(m.keyId).toBe([...keys.keys()][0]);
    await m.release();
  });

  it('an unsigned model loads only with requireSignature off', async () => {
    const bytes = meanModel(2, 1);
    const dir = writeModel(join(sb.root, 'unsigned'), bytes, framesManifest({ id: 'u', version: '1.0.0', bytes }, 2, ['a']), null);
    await expect(verifyAndLoad(dir, { trusted: await trusted(), requireSignature: true, threads: 1 })).rejects.toMatchObject({ reason: 'unsigned' });
    const m = await verifyAndLoad(dir, { trusted: await trusted(), requireSignature: false, threads: 1 });
    expect(m.keyId).toBeUndefined();
    await m.release();
  });
});
