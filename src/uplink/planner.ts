import type { Clock } from '../core/clock';
import { RECORD_CLASSES, type RecordClass } from '../outbox/config';
import type { Outbox } from '../outbox/outbox';
import type { UplinkConfig } from './config';
import { toBatches, type Batch } from './drain';
import type { DailyBudget } from './rate-limit';

/** Classes that never wait for a batch to fill and are sent even over the data budget. */
const URGENT: readonly RecordClass[] = ['alarm', 'gap'];

/**
 * Decides what the uplink sends next: alarms and gap records first, then the classes that are
 * due (a full batch, or the oldest block waited `batch.maxDelayMs`), in priority order, leased
 * from the outbox as blocks and grouped into messages. Applies the daily data budget.
 */
export class Planner {
  /** Send what is pending now, ignoring maxDelayMs (the `flush` command). */
  flushing = false;
  droppedForBudget = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly cfg: UplinkConfig,
    private readonly budget: DailyBudget,
    private readonly clock: Clock,
    private readonly wakeIn: (ms: number) => void,
    /** How long a class is not to be leased, in ms (the broker refused its last publish: see RejectHold); 0: not held. */
    private readonly heldFor: (cls: RecordClass) => number = () => 0,
    /** Bytes of bodies per message in force: `batch.maxBytes`, lowered to fit the broker's packets. */
    private readonly batchBytes: () => number = () => cfg.batch.maxBytes,
  ) {}

  /** Alarm and gap batches; they jump the queue of already leased batches. */
  urgent(): Batch[] {
    const ob = this.outbox;
    if (ob.pendingCount('alarm') + ob.pendingCount('gap') === 0) return [];
    const classes = URGENT.filter((c) => this.heldFor(c) === 0);
    if (classes.length === 0) return [];
    const { maxRecords } = this.cfg.batch;
    const maxBytes = this.batchBytes();
    return toBatches(ob.lease(maxRecords, { classes, maxBytes }), maxRecords, maxBytes);
  }

  /** Batches for up to `free` messages from the classes that are due. */
  next(free: number): Batch[] {
    if (free <= 0) return [];
    const classes = this.dueClasses();
    if (classes.length === 0) return [];
    const { batch, rate } = this.cfg;
    if (classes.includes('telemetry') && this.budget.mode() === 'thin') {
      // The outbox keeps the "thinned up to" mark (in its meta table): survivors are never thinned twice, across restarts too.
      this.droppedForBudget += this.outbox.thin('telemetry', rate.thinKeepEvery, 'budget').dropped;
    }
    const maxBytes = this.batchBytes();
    const blocks = this.outbox.lease(free * batch.maxRecords, { classes, maxBytes: free * maxBytes });
    this.flushing = false;
    return toBatches(blocks, batch.maxRecords, maxBytes);
  }

  /** Classes with records to send now: full batches, or the oldest block waited maxDelayMs. */
  private dueClasses(): RecordClass[] {
    const { maxRecords, maxDelayMs } = this.cfg.batch;
    const exhausted = this.budget.mode() === 'exhausted';
    const now = this.clock.now();
    const due: RecordClass[] = [];
    let soonest = Infinity;
    for (const cls of RECORD_CLASSES) {
      if (exhausted && !URGENT.includes(cls)) continue;
      const count = this.outbox.pendingCount(cls);
      if (count === 0) continue;
      // a held class is looked at again when its hold ends (nothing else may wake the pump then)
      const held = this.heldFor(cls);
      if (held > 0) {
        soonest = Math.min(soonest, held);
        continue;
      }
      if (URGENT.includes(cls) || this.flushing || count >= maxRecords) {
        due.push(cls);
        continue;
      }
      const age = now - (this.outbox.oldestPending(cls) ?? now);
      if (age >= maxDelayMs) due.push(cls);
      else soonest = Math.min(soonest, maxDelayMs - age);
    }
    if (exhausted) soonest = Math.min(soonest, 60_000); // look again when the day rolls over
    if (soonest !== Infinity) this.wakeIn(soonest);
    return due;
  }
}
