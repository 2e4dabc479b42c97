import { SampleRouter } from '../../src/assets/router';
import { batchCounts, batchSamples, ColumnBatchBuilder, ENTRY_NONE, ENTRY_SAMPLE, ENTRY_VALUE, samplesBatch, type BatchLayout, type ColumnBatch } from '../../src/core/batch';
import type { Sample } from '../../src/core/sample';
import { asset, harness, s, type Harness } from './helpers';

const TAGS = ['src/a', 'src/b', 'src/c', 'src/d', 'src/e', 'src/f'];

/** Two assets sharing src/b; src/d is in no asset; frames of 100 ms, windows of 500 ms. */
function assets(): Harness[] {
  const window = { type: 'time' as const, size: 500, frameMs: 100, latenessMs: 200 };
  return [
    harness(asset({ id: 'A', tags: { x: 'src/a', y: 'src/b', u: 'src/f' }, window })),
    harness(asset({ id: 'B', tags: { z: 'src/b', w: 'src/c', v: 'src/e' }, window, gaps: { policy: 'skip', minCoverage: 0.5, maxFillMs: 300 } })),
  ];
}

/**
 * The same deliveries as a source would build them: good numbers as columns, anything else as
 * Samples in place; `sparse` names each entry's position (OPC-UA), else entries follow the layout
 * (Modbus; a tag with nothing this time is an ENTRY_NONE).
 */
function toColumns(batch: readonly Sample[], layout: BatchLayout, sparse: boolean): ColumnBatch {
  const b = new ColumnBatchBuilder(layout, 2, sparse); // small, so it has to grow
  if (sparse) {
    for (const x of batch) add(b, layout.tags.indexOf(x.tag), x);
    return b;
  }
  // dense: the batch holds each layout tag at most once (a poll), in any subset
  for (let p = 0; p < layout.tags.length; p++) {
    const x = batch.find((y) => y.tag === layout.tags[p]);
    if (x) add(b, p, x);
    else b.none(p);
  }
  return b;
}

function add(b: ColumnBatchBuilder, p: number, x: Sample): void {
  if (x.quality === 'good' && typeof x.value === 'number') b.value(p, x.value, x.sourceTs, x.receivedTs);
  else b.sample(p, x);
}

/** Crafted polls: every tag every 100 ms, with gaps, bad and uncertain values, text, NaN, late and future stamps. */
function polls(): Sample[][] {
  const out: Sample[][] = [];
  for (let k = 0; k < 40; k++) {
    const t = 100 * k + 10 + (k % 3);
    const batch: Sample[] = [];
    for (const [i, tag] of TAGS.entries()) {
      if ((k + i) % 7 === 0) continue; // partial polls: some tags missing
      if (k >= 20 && k < 26 && tag === 'src/c') continue; // a gap of 600 ms on one channel
      let x = s(tag, 10 * i + k * 0.5, t);
      if (k % 11 === 3 && tag === 'src/a') x = s(tag, null, t, 'bad');
      if (k % 9 === 4 && tag === 'src/b') x = s(tag, 7, t, 'uncertain');
      if (k === 12 && tag === 'src/e') x = s(tag, 'text', t);
      if (k === 13 && tag === 'src/e') x = s(tag, true, t);
      if (k === 14 && tag === 'src/f') x = s(tag, NaN, t);
      if (k === 15 && tag === 'src/f') x = { ...s(tag, 1, t + 3_600_000), receivedTs: t };
      batch.push(x);
    }
    out.push(batch);
  }
  return out;
}

/** Reorders a few polls and adds stale values (late for their frame) to others. */
function outOfOrder(batches: Sample[][]): Sample[][] {
  const out = batches.map((b) => [...b]);
  for (let k = 2; k + 1 < out.length; k += 5) [out[k], out[k + 1]] = [out[k + 1]!, out[k]!];
  out[30]!.push(s('src/a', 99, 100)); // far too late: dropped and counted
  return out;
}

function run(batches: Sample[][], feed: 'samples' | 'dense' | 'sparse'): { h: Harness[]; unrouted: number } {
  const h = assets();
  const router = new SampleRouter(h.map((x) => x.p));
  const layout: BatchLayout = { tags: TAGS };
  const listener = router.listener();
  for (const b of batches) {
    if (feed === 'samples') listener(b);
    else if (feed === 'sparse') router.routeColumns(toColumns(b, layout, true));
    else {
      // a dense batch holds each tag once: extra values of a poll (the stale ones) follow as Samples
      const once = b.filter((x, i) => b.findIndex((y) => y.tag === x.tag) === i);
      const cols = toColumns(once, layout, false) as ColumnBatchBuilder;
      cols.samples.push(...b.filter((x) => !once.includes(x)));
      router.routeColumns(cols);
    }
  }
  for (const x of h) {
    x.clock.set(1e6);
    x.p.tick();
  }
  return { h, unrouted: router.unrouted };
}

function expectSame(a: ReturnType<typeof run>, b: ReturnType<typeof run>): void {
  for (let i = 0; i < a.h.length; i++) {
    expect(b.h[i]!.windows).toEqual(a.h[i]!.windows);
    expect(b.h[i]!.skipped).toEqual(a.h[i]!.skipped);
    expect(b.h[i]!.p.stats()).toEqual(a.h[i]!.p.stats());
    expect(b.h[i]!.p.inputView()).toEqual(a.h[i]!.p.inputView());
  }
  expect(b.unrouted).toBe(a.unrouted);
}

describe('SampleRouter column batches', () => {
  it('in-order polls: the same windows, features, skips, counters and latest values as Sample objects (dense and sparse)', () => {
    const bySamples = run(polls(), 'samples');
    expect(bySamples.h[0]!.windows.length).toBeGreaterThanOrEqual(6);
    expect(bySamples.h[1]!.skipped.length + bySamples.h[1]!.windows.length).toBeGreaterThanOrEqual(6);
    expect(bySamples.h[0]!.p.stats()).toMatchObject({ badSamples: 3, nonFiniteSamples: 1, futureSamples: 1 });
    expect(bySamples.h[1]!.p.stats().invalidSamples).toBe(1); // 'text'; `true` counts as 1
    expect(bySamples.unrouted).toBeGreaterThan(30);
    expectSame(bySamples, run(polls(), 'dense'));
    expectSame(bySamples, run(polls(), 'sparse'));
  });

  it('out-of-order polls and late values: the same drops and windows as Sample objects', () => {
    const bySamples = run(outOfOrder(polls()), 'samples');
    expect(bySamples.h[0]!.p.stats().lateSamples).toBeGreaterThanOrEqual(1);
    expectSame(bySamples, run(outOfOrder(polls()), 'dense'));
    expectSame(bySamples, run(outOfOrder(polls()), 'sparse'));
  });

  it('a batch of Samples only (a source notice) and one cut short both route like Sample objects', () => {
    const layout: BatchLayout = { tags: TAGS };
    const viaCols = assets();
    const viaSamples = assets();
    const rc = new SampleRouter(viaCols.map((x) => x.p));
    const rs = new SampleRouter(viaSamples.map((x) => x.p));
    const full = TAGS.map((t, i) => s(t, i, 100));
    const cut = toColumns(full, layout, false) as ColumnBatchBuilder;
    cut.length = 3; // a poll stopped after its first read: only a prefix of the layout
    rc.routeColumns(cut);
    rs.push(full.slice(0, 3));
    const notice = TAGS.map((t) => s(t, null, 150, 'bad'));
    rc.routeColumns(samplesBatch(notice));
    rs.push(notice);
    for (let i = 0; i < 2; i++) expect(viaCols[i]!.p.inputView()).toEqual(viaSamples[i]!.p.inputView());
    expect(viaCols[0]!.p.inputView()).toEqual({ samples: 5, bad: 3, latest: { x: 0, y: 1 } });
    expect(rc.unrouted).toBe(rs.unrouted);
  });
});

/** The same assets twice, each behind its own router (one fed column batches, one Samples), and a dense batch over `tags`. */
function twins(make: () => Harness[], tags: readonly string[]): { viaCols: Harness[]; viaSamples: Harness[]; rc: SampleRouter; rs: SampleRouter; b: ColumnBatchBuilder } {
  const viaCols = make();
  const viaSamples = make();
  const layout: BatchLayout = { tags };
  return { viaCols, viaSamples, rc: new SampleRouter(viaCols.map((h) => h.p)), rs: new SampleRouter(viaSamples.map((h) => h.p)), b: new ColumnBatchBuilder(layout, tags.length, false) };
}

describe('SampleRouter column batches by runs (dense polls of numbers only)', () => {
  it('long runs of consecutive channels, a shared tag, unrouted tags, skipped entries and cut-short polls: the same as Sample objects', () => {
    const tags = Array.from({ length: 10 }, (_, i) => `dev/r${i}`);
    const window = { type: 'time' as const, size: 500, frameMs: 100, latenessMs: 100 };
    const make = (): Harness[] => [
      harness(asset({ id: 'A', tags: { a0: 'dev/r0', a1: 'dev/r1', a2: 'dev/r2', a3: 'dev/r3' }, window })),
      harness(asset({ id: 'B', tags: { b0: 'dev/r4', b1: 'dev/r5', b2: 'dev/r6', b3: 'dev/r7' }, window })),
      harness(asset({ id: 'C', tags: { c0: 'dev/r5', c1: 'dev/r2' }, window })),
    ];
    const { viaCols, viaSamples, rc, rs, b } = twins(make, tags);
    for (let k = 0; k < 60; k++) {
      const t = 100 * k + 5;
      b.reset();
      const polled: Sample[] = [];
      const cut = k % 13 === 5 ? 6 : tags.length; // a poll cut short after its first reads
      for (let p = 0; p < cut; p++) {
        if ((k * 3 + p) % 11 === 0) b.none(p); // held back by a deadband
        else {
          const v = k === 20 && p === 1 ? NaN : p * 100 + Math.sin(k + p);
          // a poll stamped long ago (late), a value with a stamp of its own, a device clock ahead
          const ts = k === 30 ? t - 1000 : k % 5 === 0 && p === 7 ? t - 30 : k === 40 && p === 2 ? t + 3_600_000 : t;
          b.value(p, v, ts, t + 1);
          polled.push({ tag: tags[p] as string, value: v, sourceTs: ts, receivedTs: t + 1, quality: 'good' });
        }
      }
      rc.routeColumns(b);
      rs.push(polled);
    }
    for (let i = 0; i < 3; i++) {
      expect(viaCols[i]!.windows.length).toBeGreaterThanOrEqual(10);
      expect(viaCols[i]!.windows).toEqual(viaSamples[i]!.windows);
      expect(viaCols[i]!.p.stats()).toEqual(viaSamples[i]!.p.stats());
      expect(viaCols[i]!.p.inputView()).toEqual(viaSamples[i]!.p.inputView());
    }
    expect(rc.unrouted).toBe(rs.unrouted);
    expect(rc.unrouted).toBeGreaterThan(60);
    expect(viaCols[0]!.p.stats()).toMatchObject({ nonFiniteSamples: 1, futureSamples: 1 });
    expect(viaCols[1]!.p.stats().lateSamples).toBeGreaterThanOrEqual(3);
  });
});

describe('frames held as rows (each channel at most one good value per frame)', () => {
  it.each(['mean', 'last'] as const)('several polls per frame, reads stamped apart, uncertain values and rows pushed between: the same as Sample objects (frameAgg %s)', (frameAgg) => {
    const tags = Array.from({ length: 6 }, (_, i) => `dev/r${i}`);
    const window = { type: 'time' as const, size: 400, frameMs: 100, latenessMs: 100, frameAgg };
    const make = (): Harness[] => [harness(asset({ id: 'A', tags: Object.fromEntries(tags.map((t, i) => [`c${i}`, t])), window }))];
    const { viaCols, viaSamples, rc, rs, b } = twins(make, tags);
    for (let k = 0; k < 80; k++) {
      // polls every 40 ms: a frame gets one to three of them; the second half of a poll is a read stamped 7 ms later
      const t = 40 * k + 3;
      b.reset();
      const polled: Sample[] = [];
      for (let p = 0; p < tags.length; p++) {
        const ts = p < 3 ? t : t + 7;
        const v = 10 * p + ((k * 7 + p) % 5);
        if (k % 6 === 2 && p === 4) {
          const u = { ...s(tags[p] as string, v, ts, 'uncertain'), receivedTs: ts };
          b.sample(p, u);
          polled.push(u);
        } else {
          b.value(p, v, ts, ts);
          polled.push({ tag: tags[p] as string, value: v, sourceTs: ts, receivedTs: ts, quality: 'good' });
        }
      }
      rc.routeColumns(b);
      rs.push(polled);
      if (k % 10 === 5) {
        // a replayed row for the frame being filled, then polls continue into it
        const row = tags.map((_, i) => (i === 1 ? NaN : 1000 + i + k));
        viaCols[0]!.p.pushFrame(t + 20, row);
        viaSamples[0]!.p.pushFrame(t + 20, row);
      }
    }
    for (const h of [...viaCols, ...viaSamples]) {
      h.clock.set(1e6);
      h.p.tick();
    }
    expect(viaCols[0]!.windows.length).toBeGreaterThanOrEqual(7);
    expect(viaCols[0]!.windows).toEqual(viaSamples[0]!.windows);
    expect(viaCols[0]!.p.stats()).toEqual(viaSamples[0]!.p.stats());
    expect(viaCols[0]!.p.inputView()).toEqual(viaSamples[0]!.p.inputView());
  });
});

describe('ColumnBatch', () => {
  it('materializes Samples in delivery order and counts values and bad ones', () => {
    const layout: BatchLayout = { tags: ['t/0', 't/1', 't/2', 't/3'] };
    const b = new ColumnBatchBuilder(layout, 1, true);
    const bad: Sample = { tag: 't/1', value: null, sourceTs: 5, receivedTs: 6, quality: 'bad', status: { code: 2, text: 'x' } };
    b.value(2, 1.5, 10, 11);
    b.sample(1, bad);
    b.none(0);
    b.value(3, -2, 12, 13);
    b.samples.push(s('t/9', 'late notice', 20));
    expect(Array.from(b.kinds.subarray(0, b.length))).toEqual([ENTRY_VALUE, ENTRY_SAMPLE, ENTRY_NONE, ENTRY_VALUE]);
    expect(batchSamples(b)).toEqual([
      { tag: 't/2', value: 1.5, sourceTs: 10, receivedTs: 11, quality: 'good' },
      bad,
      { tag: 't/3', value: -2, sourceTs: 12, receivedTs: 13, quality: 'good' },
      s('t/9', 'late notice', 20),
    ]);
    expect(batchCounts(b)).toEqual({ samples: 4, bad: 1 });
    b.reset();
    expect(batchSamples(b)).toEqual([]);
    expect(batchCounts(samplesBatch([bad]))).toEqual({ samples: 1, bad: 1 });
  });
});
