import type { Logger } from '../../observability/logger';
import { ColumnBatchBuilder, type ColumnBatch } from '../../core/batch';
import type { ModbusSourceConfig } from './config';
import { decodeRegisters } from './codec';
import { ModbusRequestError } from './errors';
import { deviceSettings, isBitArea, splitRead, type PollGroup, type ReadRequest } from './planner';
import type { TagValues } from './tag-values';
import type { ModbusTransport } from './transport';

/** Counters per unit id: a misbehaving device is reported on its own. */
export interface UnitCounters {
  requests: number;
  exceptions: number;
  timeouts: number;
  frameErrors: number;
  splits: number;
}

export interface CycleResult {
  /**
   * The cycle's values in the group's layout (its reads' tags in order): good numbers in columns,
   * bad values (and text, booleans) as Samples. Reused by the group's next cycle.
   */
  readonly batch: ColumnBatch;
  /** Reads the device answered with data (exceptions, timeouts and bad frames are not answers). */
  readonly answered: number;
  /** The last failure of the cycle, if any (names the endpoint, unit and read). */
  readonly failure?: ModbusRequestError;
  /** Set when the connection must be rebuilt (frame out of step, gone, or silent too long). */
  readonly broken?: ModbusRequestError;
}

const RETRYABLE_EXCEPTIONS = new Set([5, 6]); // acknowledge, server busy

/** After this many timeouts in a row on a TCP connection, assume it is half-open and reconnect. */
export const SILENT_TIMEOUTS_BEFORE_RECONNECT = 3;

/**
 * Runs one poll cycle of a group: its reads, one after the other, with per-unit timeout, retries
 * and inter-request delay. A read failing with illegal-address is split (and the split kept in the
 * group, so the next cycles do not pay for it again) until the bad tag is isolated.
 */
export class CycleRunner {
  readonly units = new Map<number, UnitCounters>();
  private readonly settings = new Map<number, ReturnType<typeof deviceSettings>>();
  private consecutiveTimeouts = 0;
  /** Per poll group, its batch (layout: the tags of its reads in order; a split keeps that order). */
  private readonly batches = new WeakMap<PollGroup, ColumnBatchBuilder>();

  constructor(
    private readonly cfg: ModbusSourceConfig,
    private readonly transport: ModbusTransport,
    private readonly values: TagValues,
    private readonly logger: Logger,
    /**
     * TCP: the connection is a byte stream that a bad frame puts out of step, and a run of
     * timeouts may mean it is half-open; both rebuild the connection. A serial line is
     * re-synchronised before each request (RtuTransport drops stale bytes) and silence is just a
     * silent slave, so there a bad frame costs only its read, not every unit's connection.
     */
    private readonly streamTransport: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  unit(unitId: number): UnitCounters {
    let u = this.units.get(unitId);
    if (!u) this.units.set(unitId, (u = { requests: 0, exceptions: 0, timeouts: 0, frameErrors: 0, splits: 0 }));
    return u;
  }

  async run(group: PollGroup, isStopping: () => boolean): Promise<CycleResult> {
    const batch = this.batchOf(group);
    let answered = 0;
    let failure: ModbusRequestError | undefined;
    for (let i = 0; i < group.reads.length && !isStopping(); ) {
      const read = group.reads[i] as ReadRequest;
      const outcome = await this.execute(read);
      const ts = this.now();
      if (!(outcome instanceof ModbusRequestError)) {
        this.decode(read, outcome, ts, batch);
        answered++;
        i++;
        continue;
      }
      failure = outcome;
      const halves = outcome.exceptionCode === 2 ? splitRead(read) : undefined;
      if (halves) {
        this.unit(read.unitId).splits++;
        this.logger.warn(
          { source: this.cfg.id, unitId: read.unitId, area: read.area, start: read.start, count: read.count },
          `${this.transport.endpoint} unit ${read.unitId}: ${outcome.message} on a coalesced read; splitting it to isolate the bad tag`,
        );
        group.reads.splice(i, 1, ...halves);
        continue; // retry the first half now
      }
      for (const t of read.tags) batch.sample(0, this.values.bad(t, outcome.status, ts));
      i++;
      if (outcome.kind === 'disconnected' || (outcome.kind === 'frame' && this.streamTransport)) return { batch, answered, failure, broken: outcome };
      if (outcome.kind === 'timeout' && this.streamTransport && this.consecutiveTimeouts >= SILENT_TIMEOUTS_BEFORE_RECONNECT) {
        return { batch, answered, failure, broken: new ModbusRequestError('timeout', `no response to ${this.consecutiveTimeouts} requests in a row`) };
      }
    }
    return { batch, answered, failure };
  }

  private batchOf(group: PollGroup): ColumnBatchBuilder {
    let b = this.batches.get(group);
    if (!b) {
      const tags = group.reads.flatMap((r) => r.tags.map((t) => t.tag));
      this.batches.set(group, (b = new ColumnBatchBuilder({ tags }, tags.length, false)));
    }
    b.reset();
    return b;
  }

  private async execute(read: ReadRequest): Promise<Buffer | boolean[] | ModbusRequestError> {
    let dev = this.settings.get(read.unitId);
    if (!dev) this.settings.set(read.unitId, (dev = deviceSettings(this.cfg, read.unitId)));
    const counters = this.unit(read.unitId);
    let last: ModbusRequestError | undefined;
    for (let attempt = 0; attempt <= dev.retries; attempt++) {
      counters.requests++;
      try {
        const r = await this.transport.read(read.unitId, read.area, read.start, read.count, dev.timeoutMs);
        this.consecutiveTimeouts = 0;
        if (dev.interRequestDelayMs > 0) await delay(dev.interRequestDelayMs);
        return r;
      } catch (e) {
        last = e instanceof ModbusRequestError ? e : new ModbusRequestError('frame', String(e));
        if (dev.interRequestDelayMs > 0) await delay(dev.interRequestDelayMs);
        if (last.kind === 'timeout') {
          counters.timeouts++;
          this.consecutiveTimeouts++;
        } else if (last.kind === 'exception') {
          counters.exceptions++;
        } else if (last.kind === 'frame') {
          counters.frameErrors++;
        }
        const retryable = last.kind === 'timeout' || (last.kind === 'exception' && RETRYABLE_EXCEPTIONS.has(last.exceptionCode ?? 0));
        if (!retryable) break;
      }
    }
    const err = last as ModbusRequestError;
    const where = `${this.transport.endpoint} unit ${read.unitId} ${read.area} ${read.start}+${read.count}`;
    return new ModbusRequestError(err.kind, `${where}: ${err.message}`, err.exceptionCode);
  }

  /** One answered read into the batch: an entry per tag, in the read's tag order. */
  private decode(read: ReadRequest, data: Buffer | boolean[], ts: number, out: ColumnBatchBuilder): void {
    const bits = isBitArea(read.area);
    for (const t of read.tags) {
      const off = t.start - read.start;
      if (t.word16 !== 0 && !bits && 2 * off + 2 <= data.length) {
        // inline: what decodeRegisters + TagValues.value do for a plain 16-bit register
        const w = ((data as Buffer)[2 * off] as number) * 256 + ((data as Buffer)[2 * off + 1] as number);
        out.value(0, t.word16 === 1 ? w : (w << 16) >> 16, ts, ts);
        continue;
      }
      let value;
      if (bits) {
        const v = (data as boolean[])[off];
        if (v === undefined) {
          out.sample(0, this.values.bad(t, short(read), ts));
          continue;
        }
        value = this.values.value(t, v);
      } else {
        try {
          value = this.values.value(t, decodeRegisters(data as Buffer, off, t.reg));
        } catch {
          out.sample(0, this.values.bad(t, short(read), ts));
          continue;
        }
      }
      if (value === undefined) out.none(0);
      else if (typeof value === 'number') out.value(0, value, ts, ts);
      else out.sample(0, { tag: t.tag, value, sourceTs: ts, receivedTs: ts, quality: 'good' });
    }
  }
}

function short(read: ReadRequest): { code: number; text: string } {
  return new ModbusRequestError('frame', `unit ${read.unitId}: response shorter than ${read.count} ${read.area} values`).status;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
