import type { Sample } from '../core/sample';
import type { AssetPipeline } from './pipeline';

/** Where one source tag goes: a channel of a pipeline (a tag in several assets chains on). */
interface Route {
  readonly k: number;
  readonly c: number;
  readonly next: Route | undefined;
}

type Routable = Pick<AssetPipeline, 'sourceTags' | 'accept' | 'endBatch'>;

/**
 * Hands each sample of a source batch to the asset pipelines that use its tag, looked up once per
 * sample (not once per pipeline: with a hundred assets, letting every pipeline scan every batch
 * cost a map lookup per sample per asset). Each pipeline touched closes its frames once per batch.
 * The gateway wires every source to one router; bench/ingest measures through the same one.
 */
export class SampleRouter {
  private readonly routes = new Map<string, Route>();
  private readonly touched: number[] = [];
  /** Batch number in which pipeline k was last touched. */
  private readonly seen: Uint32Array;
  private batchNo = 0;
  /** Samples of tags no asset uses (counted, then ignored). */
  unrouted = 0;

  constructor(private readonly pipelines: readonly Routable[]) {
    this.seen = new Uint32Array(pipelines.length);
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

  /** Routes one batch with no position cache (for feeds without a stable order). */
  push(batch: readonly Sample[]): void {
    this.route(batch, undefined, undefined);
  }

  private route(batch: readonly Sample[], tags: string[] | undefined, routes: (Route | undefined)[] | undefined): void {
    const no = (this.batchNo = (this.batchNo + 1) >>> 0 || 1);
    const { pipelines, seen, touched } = this;
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
      if (r === undefined) this.unrouted++;
      for (; r !== undefined; r = r.next) {
        (pipelines[r.k] as Routable).accept(r.c, s);
        if (seen[r.k] !== no) {
          seen[r.k] = no;
          touched.push(r.k);
        }
      }
    }
    for (let i = 0; i < touched.length; i++) (pipelines[touched[i] as number] as Routable).endBatch();
    touched.length = 0;
  }
}
