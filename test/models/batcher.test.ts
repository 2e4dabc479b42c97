/** @jest-environment ./test/ml/ort-environment.js */
import { Batcher, type BatchRequest } from '../../src/models/batcher';
import { modelManifest } from '../../src/models/manifest';
import { LoadedModel } from '../../src/models/runner';
import { framesManifest, meanModel } from './fixtures';

/** A window of `rows` values all equal to v (mean model: score = v); records what it hears back. */
class Req implements BatchRequest {
  value: number | undefined;
  error: unknown;
  constructor(readonly v: number, readonly bad = false) {}
  fill(_input: number, into: Float32Array, at: number): void {
    into[at] = 12345; // a partial write before failing must not reach any batch
    if (this.bad) throw new Error(`window ${this.v} cannot fill`);
    into.fill(this.v, at, at + 2);
  }
  deliver(v: number): void {
    this.value = v;
  }
  fail(e: unknown): void {
    this.error = e;
  }
}

async function load(thread: 'main' | 'worker' = 'main'): Promise<LoadedModel> {
  const bytes = meanModel(2, 1);
  return LoadedModel.load({ dir: '.', manifest: modelManifest.parse(framesManifest({ id: 'b', version: '1.0.0', bytes }, 2, ['a'])), bytes, threads: 1, thread });
}

function immediate(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

describe('Batcher (rows written into the batch tensor, no promise per window)', () => {
  it('every window hears back its own score across many batches and both alternating buffers', async () => {
    const m = await load();
    const b = new Batcher(m, 4);
    const reqs: Req[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3 + round; i++) {
        const r = new Req(round * 100 + i);
        b.enqueue(r);
        reqs.push(r);
      }
      await b.drained();
    }
    expect(reqs.map((r) => r.value)).toEqual(reqs.map((r) => r.v));
    expect(b.stats.windows).toBe(reqs.length);
    expect(b.stats.maxBatchSeen).toBe(4);
    await m.release();
  });

  it('windows queued while a run is in flight (more than a batch) go out in order in the next runs', async () => {
    const m = await load();
    const b = new Batcher(m, 2);
    const first = [new Req(1), new Req(2)];
    first.forEach((r) => b.enqueue(r)); // full: the run starts
    const more = Array.from({ length: 7 }, (_, i) => new Req(10 + i));
    more.forEach((r) => b.enqueue(r)); // queued beyond one batch: into further blocks
    await b.drained();
    expect([...first, ...more].map((r) => r.value)).toEqual([1, 2, 10, 11, 12, 13, 14, 15, 16]);
    expect(b.stats).toMatchObject({ batches: 5, windows: 9, maxBatchSeen: 2 });
    await m.release();
  });

  it('a backlog of several batches is run from the buffers its windows were written into (no copy), blocks reused', async () => {
    for (const thread of ['main', 'worker'] as const) {
      const m = await load(thread);
      const runs = jest.spyOn(m, 'run');
      const alloc = jest.spyOn(m, 'alloc');
      const b = new Batcher(m, 4);
      const wrote = new Map<Req, ArrayBufferLike>();
      const mk = (v: number): Req => {
        const r = new Req(v);
        const fill = r.fill.bind(r);
        r.fill = (i, into, at) => (wrote.set(r, into.buffer), fill(i, into, at));
        return r;
      };
      const made: number[] = [];
      for (let round = 0; round < 2; round++) {
        const reqs = Array.from({ length: 4 * 6 + 2 }, (_, i) => mk(round * 100 + i));
        reqs.forEach((r) => b.enqueue(r));
        await b.drained();
        expect(reqs.map((r) => r.value)).toEqual(reqs.map((r) => r.v));
        // batch k ran on the very buffer windows 4k .. 4k+3 were written into
        const calls = runs.mock.calls.slice(-7);
        calls.forEach(([inputs, n], k) => {
          expect(n).toBe(k < 6 ? 4 : 2);
          for (const r of reqs.slice(4 * k, 4 * k + n)) expect(wrote.get(r)).toBe(inputs[0]?.buffer);
        });
        made.push(alloc.mock.calls.length - made.reduce((x, y) => x + y, 0));
      }
      // one buffer per block of the first backlog (nothing grown and copied); the second reused the kept blocks
      expect(made[0]).toBe(7);
      expect(made[1]).toBeLessThanOrEqual(2);
      runs.mockRestore();
      alloc.mockRestore();
      await m.release();
    }
  });

  it('a window that cannot fill its rows throws at enqueue and queues nothing; its neighbours are unharmed', async () => {
    const m = await load();
    const b = new Batcher(m, 8);
    const a = new Req(1);
    b.enqueue(a);
    expect(() => b.enqueue(new Req(99, true))).toThrow('window 99 cannot fill');
    const c = new Req(3);
    b.enqueue(c);
    expect(b.pending()).toBe(2);
    await immediate();
    await b.drained();
    expect([a.value, c.value]).toEqual([1, 3]);
    await m.release();
  });

  it('a failed run fails each of its windows', async () => {
    const m = await load();
    const b = new Batcher(m, 2);
    await m.release();
    const rs = [new Req(1), new Req(2)];
    rs.forEach((r) => b.enqueue(r));
    await b.drained();
    expect(rs.map((r) => (r.error as Error).message)).toEqual(Array(2).fill('model b@1.0.0: the session was released (model replaced)'));
  });

  it('hands a worker its next batch before delivering the one that returned; in this thread, after', async () => {
    // Runs started (calls to the model) as each window hears back its score.
    for (const [thread, n, want] of [['worker', 6, [3, 3, 3, 3, 3, 3]], ['main', 4, [1, 1, 2, 2]]] as const) {
      const m = await load(thread);
      const runs = jest.spyOn(m, 'run');
      const b = new Batcher(m, 2);
      const seen: number[] = [];
      const reqs = Array.from({ length: n }, (_, i) => {
        const r = new Req(i + 1);
        r.deliver = (x: number): void => {
          r.value = x;
          seen.push(runs.mock.calls.length);
        };
        return r;
      });
      reqs.forEach((r) => b.enqueue(r));
      await b.drained();
      expect(reqs.map((r) => r.value)).toEqual(reqs.map((r) => r.v));
      // worker: batches 1 and 2 go out at once; batch 3 is handed over before batch 1 is delivered
      // (delivering first would have seen 2, 2, 3, ...). main: batch 1 is delivered before batch 2 runs.
      expect(seen).toEqual(want);
      expect(b.stats.runsInFlightPeak).toBe(thread === 'worker' ? 2 : 1);
      runs.mockRestore();
      await m.release();
    }
  });

  it('with the session in a worker thread, a second full batch waits there while the first runs; partial ones wait here', async () => {
    const m = await load('worker');
    const b = new Batcher(m, 2);
    const reqs = Array.from({ length: 7 }, (_, i) => new Req(i + 1));
    reqs.forEach((r) => b.enqueue(r));
    // Two full batches went out at once; the third (full) and the odd window wait for a run to end.
    expect(b.pending()).toBe(2 * 2 + 3);
    await b.drained();
    expect(reqs.map((r) => r.value)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(b.stats).toMatchObject({ batches: 4, windows: 7, maxBatchSeen: 2, runsInFlightPeak: 2 });
    // A partial batch alone is not sent while another run is in flight.
    const lone = [new Req(10), new Req(11), new Req(12)];
    lone.forEach((r) => b.enqueue(r));
    expect(b.pending()).toBe(2 + 1);
    await b.drained();
    expect(lone.map((r) => r.value)).toEqual([10, 11, 12]);
    await m.release();
  });
});
