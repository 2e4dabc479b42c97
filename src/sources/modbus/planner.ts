import type { ModbusDeviceConfig, ModbusRegisterConfig, ModbusSourceConfig } from './config';
import { registerWidth } from './codec';
import { tagId } from '../../core/sample';

export type ModbusArea = ModbusRegisterConfig['area'];

/** One configured register, resolved to where and how often it is read. */
export interface PlannedTag {
  readonly reg: ModbusRegisterConfig;
  /** `<sourceId>/<name>`, built once. */
  readonly tag: string;
  readonly unitId: number;
  readonly area: ModbusArea;
  /** First register (or bit) and how many it spans. */
  readonly start: number;
  readonly width: number;
  readonly intervalMs: number;
  /**
   * A plain 16-bit register (1 = uint16, 2 = int16; big-endian, no scale, offset or deadband):
   * decoded inline by the poller, the most common tag by far. 0 = anything else (the codec).
   */
  readonly word16: 0 | 1 | 2;
}

/** One Modbus read request and the tags it serves. */
export interface ReadRequest {
  readonly unitId: number;
  readonly area: ModbusArea;
  readonly start: number;
  readonly count: number;
  readonly tags: readonly PlannedTag[];
}

/** Reads of one unit that share a poll interval; polled together, one cycle each interval. */
export interface PollGroup {
  readonly unitId: number;
  readonly intervalMs: number;
  reads: ReadRequest[];
}

export interface PlanLimits {
  readonly maxRegisters: number;
  readonly maxBits: number;
  readonly maxGap: number;
  readonly maxGapBits: number;
}

export const isBitArea = (a: ModbusArea): boolean => a === 'coil' || a === 'discrete';

/** The read function code of each area (Modbus application protocol, section 6). */
export const FUNCTION_CODE: Readonly<Record<ModbusArea, number>> = { coil: 1, discrete: 2, holding: 3, input: 4 };

/** Effective per-unit settings: the unit's override, else the source's value. */
export function deviceSettings(cfg: ModbusSourceConfig, unitId: number): Required<ModbusDeviceConfig> {
  const d = cfg.devices.find((x) => x.unitId === unitId);
  return {
    unitId,
    pollIntervalMs: d?.pollIntervalMs ?? cfg.pollIntervalMs,
    timeoutMs: d?.timeoutMs ?? cfg.timeoutMs,
    retries: d?.retries ?? cfg.retries,
    interRequestDelayMs: d?.interRequestDelayMs ?? cfg.interRequestDelayMs,
  };
}

export function planTags(cfg: ModbusSourceConfig): PlannedTag[] {
  return cfg.registers.map((reg) => {
    const unitId = reg.unitId ?? cfg.unitId;
    return {
      reg,
      tag: tagId(cfg.id, reg.name),
      unitId,
      area: reg.area,
      start: reg.address,
      width: isBitArea(reg.area) ? 1 : registerWidth(reg),
      intervalMs: reg.pollIntervalMs ?? deviceSettings(cfg, unitId).pollIntervalMs,
      word16: word16(reg),
    };
  });
}

function word16(reg: ModbusRegisterConfig): 0 | 1 | 2 {
  const plain = !isBitArea(reg.area) && (reg.order === 'ABCD' || reg.order === 'CDAB') && reg.scale === 1 && reg.offset === 0 && reg.deadband === undefined;
  if (!plain) return 0;
  return reg.type === 'uint16' ? 1 : reg.type === 'int16' ? 2 : 0;
}

/**
 * Coalesce tags of ONE unit, area and interval into the fewest reads. Tags whose span lies inside
 * another tag's span ride along with it for free; the remaining spans have increasing starts and
 * ends, so every unread gap lies between neighbours and a greedy left-to-right fill is optimal
 * (any read covering tags i and j also covers every tag between them; test/sources/planner.test.ts
 * checks this against brute force).
 */
export function coalesce(tags: readonly PlannedTag[], limits: PlanLimits): ReadRequest[] {
  if (tags.length === 0) return [];
  const first = tags[0] as PlannedTag;
  const bits = isBitArea(first.area);
  const maxSpan = bits ? limits.maxBits : limits.maxRegisters;
  const maxGap = bits ? limits.maxGapBits : limits.maxGap;
  const sorted = [...tags].sort((a, b) => a.start - b.start || b.start + b.width - (a.start + a.width));
  const reads: ReadRequest[] = [];
  let cur: PlannedTag[] = [];
  let start = 0;
  let end = 0; // exclusive
  const flush = (): void => {
    if (cur.length) reads.push({ unitId: first.unitId, area: first.area, start, count: end - start, tags: cur });
  };
  for (const t of sorted) {
    const tEnd = t.start + t.width;
    if (cur.length && tEnd <= end) {
      cur.push(t); // contained in what the read already covers
      continue;
    }
    if (cur.length && t.start - end <= maxGap && Math.max(end, tEnd) - start <= maxSpan) {
      cur.push(t);
      end = Math.max(end, tEnd);
      continue;
    }
    flush();
    cur = [t];
    start = t.start;
    end = tEnd;
  }
  flush();
  return reads;
}

/** The whole plan of a source: one group per (unit id, interval), reads per area inside it. */
export function buildPlan(cfg: ModbusSourceConfig, tags: readonly PlannedTag[] = planTags(cfg)): PollGroup[] {
  const limits: PlanLimits = {
    maxRegisters: cfg.maxRegistersPerRead,
    maxBits: cfg.maxBitsPerRead,
    maxGap: cfg.maxGap,
    maxGapBits: cfg.maxGapBits,
  };
  const byKey = new Map<string, PlannedTag[]>();
  for (const t of tags) {
    const key = `${t.unitId}|${t.intervalMs}|${t.area}`;
    const list = byKey.get(key);
    if (list) list.push(t);
    else byKey.set(key, [t]);
  }
  const groups = new Map<string, PollGroup>();
  for (const tags of byKey.values()) {
    const t0 = tags[0] as PlannedTag;
    const gk = `${t0.unitId}|${t0.intervalMs}`;
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = { unitId: t0.unitId, intervalMs: t0.intervalMs, reads: [] }));
    g.reads.push(...coalesce(tags, limits));
  }
  return [...groups.values()].sort((a, b) => a.unitId - b.unitId || a.intervalMs - b.intervalMs);
}

/**
 * Split a read that failed with illegal-address into two reads of half its tags each, so the
 * poller can isolate the bad tag in log2(n) steps. Returns undefined for a single-tag read.
 */
export function splitRead(read: ReadRequest): [ReadRequest, ReadRequest] | undefined {
  if (read.tags.length < 2) return undefined;
  const half = Math.ceil(read.tags.length / 2);
  const make = (tags: readonly PlannedTag[]): ReadRequest => {
    const start = Math.min(...tags.map((t) => t.start));
    const end = Math.max(...tags.map((t) => t.start + t.width));
    return { unitId: read.unitId, area: read.area, start, count: end - start, tags };
  };
  return [make(read.tags.slice(0, half)), make(read.tags.slice(half))];
}
