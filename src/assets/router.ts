import { ENTRY_SAMPLE, ENTRY_VALUE, type BatchLayout, type ColumnBatch } from '../core/batch';
import type { Sample } from '../core/sample';
import type { SourceEvents } from '../core/source';
import type { AssetPipeline } from './pipeline';

/** Where one source tag goes: a channel of a pipeline (a tag in several assets chains on). */
interface Route {
  readonly k: number;
  readonly c: number;
  readonly next: Route | undefined;
}

type Routable = Pick<AssetPipeline, 'sourceTags' | 'accept' | 'acceptValue' | 'acceptRun' | 'endBatch'>;

/**
 * Where every position of one batch layout goes, in compressed rows: the routes of position p
 * are pipeline[first[p] .. first[p+1]) and channel[same].
 */
interface LayoutPlan {
  readonly first: Int32Array;
  readonly pipeline: Int32Array;
  readonly channel: Int32Array;
  /** Runs of positions [runFrom, runFrom + runLen) to channels runChannel.. of pipeline runPipeline (-1: entry by entry). */
  readonly runFrom: Int32Array;
  readonly runLen: Int32Array;
  readonly runPipeline: Int32Array;
  readonly runChannel: Int32Array;
}

/** A source as the router needs it (src/core Source). */
interface BatchSource {
  on(event: 'batch', listener: SourceEvents['batch']): unknown;
}

/**
 * Hands each sample of a source batch to the asset pipelines that use its tag, looked up once per
 * sample (not once per pipeline: with a hundred assets, letting every pipeline scan every batch
 * cost a map lookup per sample per asset). Each pipeline touched closes its frames once per batch.
 * The gateway wires every source to one router; bench/ingest measures through the same one.
 */
export class SampleRouter {
  private readonly routes = new Map<string, Route>();
  /** Pipelines touched by the batch being routed: touched[0 .. nTouched) (a count, not `length = 0`, which is a runtime call per batch). */
  private readonly touched: Int32Array;
  private nTouched = 0;
  /** Batch number in which pipeline k was last touched. */
  private readonly seen: Uint32Array;
  private batchNo = 0;
  /** Per batch layout, where each of its positions goes (computed on first sight). */
  private readonly plans = new WeakMap<BatchLayout, LayoutPlan>();
  /** Samples of tags no asset uses (counted, then ignored). */
  unrouted = 0;

  constructor(private readonly pipelines: readonly Routable[]) {
    this.seen = new Uint32Array(pipelines.length);
    this.touched = new Int32Array(pipelines.length);
    pipelines.forEach((p, k) => p.sourceTags.forEach((tag, c) => this.routes.set(tag, { k, c, next: this.routes.get(tag) })));
  }

  /**
   * A 'samples' listener for one source. Sources emit their tags in much the same order every
   * cycle (a Modbus plan, a subscription's items), each tag the same string object, so the route
   * found at each batch position is remembered and reused while the tag there is the same: a
   * pointer comparison instead of a hash lookup per sample. Any other order still routes right.
   */
  listener(): (batch: readonly Sample[]) => void {
    const tags: string[] = [];
    const routes: (Route | undefined)[] = [];
    return (batch) => this.route(batch, tags, routes);
  }

  /** Routes every delivery of a source (its 'batch' event, columns with no object per value). */
  attach(source: BatchSource): void {
    source.on('batch', (b) => this.routeColumns(b));
  }

  /**
   * Routes one column batch: each good number goes straight to its (pipeline, channel), found
   * by its position in a plan made once per layout; the batch's Samples go through accept()
   * in their place in the delivery order, so both paths see the same stream. A dense batch of
   * numbers only (a Modbus poll) goes by runs: consecutive positions bound for consecutive
   * channels of one pipeline are handed over in one call.
   */
  routeColumns(b: ColumnBatch): void {
    const no = (this.batchNo = (this.batchNo + 1) >>> 0 || 1);
    const pipelines = this.pipelines;
    const samples = b.samples;
    let next = 0;
    if (b.length > 0) {
      const plan = this.plans.get(b.layout) ?? this.plan(b.layout);
      if (b.positions === undefined && samples.length === 0) {
        const { runFrom, runLen, runPipeline, runChannel } = plan;
        for (let r = 0; r < runFrom.length; r++) {
          const from = runFrom[r] as number;
          if (from >= b.length) break;
          const to = Math.min(from + (runLen[r] as number), b.length);
          const k = runPipeline[r] as number;
          if (k >= 0) {
            (pipelines[k] as Routable).acceptRun(runChannel[r] as number, b, from, to);
            this.touch(k, no);
          } else {
            this.routeEntries(b, plan, from, to, 0, no);
          }
        }
      } else {
        next = this.routeEntries(b, plan, 0, b.length, 0, no);
      }
    }
    for (; next < samples.length; next++) {
      const s = samples[next] as Sample;
      this.acceptSample(this.routes.get(s.tag), s, no);
    }
    this.closeTouched();
  }

  /** One Sample to every (pipeline, channel) of its routes (none: counted as unrouted). */
  private acceptSample(routes: Route | undefined, s: Sample, no: number): void {
    if (routes === undefined) this.unrouted++;
    for (let r = routes; r !== undefined; r = r.next) {
      (this.pipelines[r.k] as Routable).accept(r.c, s);
      this.touch(r.k, no);
    }
  }

  /** Lets every pipeline the batch touched close its frames, once. */
  private closeTouched(): void {
    const { pipelines, touched } = this;
    const n = this.nTouched;
    this.nTouched = 0;
    for (let i = 0; i < n; i++) (pipelines[touched[i] as number] as Routable).endBatch();
  }

  /** Entries [from, to) one by one; `next` is the first Sample not yet taken. Returns the next one after them. */
  private routeEntries(b: ColumnBatch, plan: LayoutPlan, from: number, to: number, next: number, no: number): number {
    const { kinds, positions, values, sourceTs, receivedTs, samples } = b;
    const { first, pipeline, channel } = plan;
    const pipelines = this.pipelines;
    for (let i = from; i < to; i++) {
      const kind = kinds[i];
      if (kind !== ENTRY_VALUE && kind !== ENTRY_SAMPLE) continue;
      const p = positions ? (positions[i] as number) : i;
      const lo = first[p] as number;
      const hi = first[p + 1] as number;
      const s = kind === ENTRY_SAMPLE ? (samples[next++] as Sample) : undefined;
      if (lo === hi) this.unrouted++;
      for (let j = lo; j < hi; j++) {
        const k = pipeline[j] as number;
        const target = pipelines[k] as Routable;
        if (s === undefined) target.acceptValue(channel[j] as number, values[i] as number, sourceTs[i] as number, receivedTs[i] as number);
        else target.accept(channel[j] as number, s);
        this.touch(k, no);
      }
    }
    return next;
  }

  /** Notes pipeline k as touched by batch `no` (it closes its frames once after the batch). */
  private touch(k: number, no: number): void {
    if (this.seen[k] !== no) {
      this.seen[k] = no;
      this.touched[this.nTouched++] = k;
    }
  }

  private plan(layout: BatchLayout): LayoutPlan {
    const n = layout.tags.length;
    const first = new Int32Array(n + 1);
    const ks: number[] = [];
    const cs: number[] = [];
    for (let p = 0; p < n; p++) {
      first[p] = ks.length;
      // in the order of the Sample path, so pipelines are touched (and close frames) in the same order
      for (let r = this.routes.get(layout.tags[p] as string); r !== undefined; r = r.next) {
        ks.push(r.k);
        cs.push(r.c);
      }
    }
    first[n] = ks.length;
    // runs: maximal stretches of positions with one route each, to one pipeline's consecutive
    // channels; anything else (no route, several) is a run of its own, routed entry by entry
    const rf: number[] = [];
    const rl: number[] = [];
    const rk: number[] = [];
    const rc: number[] = [];
    for (let p = 0; p < n; p++) {
      const single = (first[p + 1] as number) - (first[p] as number) === 1;
      const k = single ? (ks[first[p] as number] as number) : -1;
      const c = single ? (cs[first[p] as number] as number) : -1;
      const last = rf.length - 1;
      if (k >= 0 && last >= 0 && rk[last] === k && (rc[last] as number) + (rl[last] as number) === c && (rf[last] as number) + (rl[last] as number) === p) {
        rl[last] = (rl[last] as number) + 1;
      } else {
        rf.push(p);
        rl.push(1);
        rk.push(k);
        rc.push(c);
      }
    }
    const plan: LayoutPlan = {
      first, pipeline: Int32Array.from(ks), channel: Int32Array.from(cs),
      runFrom: Int32Array.from(rf), runLen: Int32Array.from(rl), runPipeline: Int32Array.from(rk), runChannel: Int32Array.from(rc),
    };
    this.plans.set(layout, plan);
    return plan;
  }

  /** Routes one batch with no position cache (for feeds without a stable order). */
  push(batch: readonly Sample[]): void {
    this.route(batch, undefined, undefined);
  }

  private route(batch: readonly Sample[], tags: string[] | undefined, routes: (Route | undefined)[] | undefined): void {
    const no = (this.batchNo = (this.batchNo + 1) >>> 0 || 1);
    for (let i = 0; i < batch.length; i++) {
      const s = batch[i] as Sample;
      let r: Route | undefined;
      if (tags === undefined || routes === undefined) r = this.routes.get(s.tag);
      else if (tags[i] === s.tag) r = routes[i];
      else {
        r = this.routes.get(s.tag);
        tags[i] = s.tag;
        routes[i] = r;
      }
      this.acceptSample(r, s, no);
    }
    this.closeTouched();
  }
}
