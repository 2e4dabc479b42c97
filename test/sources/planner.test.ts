import { modbusSourceConfig, type ModbusSourceConfig } from '../../src/sources/modbus/config';
import { buildPlan, coalesce, splitRead, type PlanLimits, type PlannedTag } from '../../src/sources/modbus/planner';
import { formatModbusPlan } from '../../src/sources/modbus/plan-format';
import { gatewayConfigSchema } from '../../src/config/schema';

const LIMITS: PlanLimits = { maxRegisters: 125, maxBits: 2000, maxGap: 8, maxGapBits: 128 };

function tag(start: number, width: number, name = `t${start}_${width}`, area: PlannedTag['area'] = 'holding'): PlannedTag {
  return { reg: { name } as PlannedTag['reg'], tag: `m/${name}`, unitId: 1, area, start, width, intervalMs: 1000, word16: 0 };
}

function cfg(registers: unknown[], extra: Record<string, unknown> = {}): ModbusSourceConfig {
  return modbusSourceConfig.parse({ id: 'm', type: 'modbus', host: '127.0.0.1', registers, ...extra });
}

/** A set of tags can be one read: span within the limit and no unread run longer than maxGap. */
function feasible(tags: PlannedTag[], l: PlanLimits): boolean {
  const start = Math.min(...tags.map((t) => t.start));
  const end = Math.max(...tags.map((t) => t.start + t.width));
  if (end - start > l.maxRegisters) return false;
  const covered = new Array<boolean>(end - start).fill(false);
  for (const t of tags) for (let a = t.start; a < t.start + t.width; a++) covered[a - start] = true;
  let run = 0;
  for (const c of covered) {
    run = c ? 0 : run + 1;
    if (run > l.maxGap) return false;
  }
  return true;
}

/** Fewest reads over ALL set partitions (not only consecutive ones): the ground truth. */
function bruteForceMin(tags: PlannedTag[], l: PlanLimits): number {
  let best = Infinity;
  const blocks: PlannedTag[][] = [];
  const rec = (i: number): void => {
    if (blocks.length >= best) return;
    if (i === tags.length) {
      // feasibility only of complete blocks: a tag added later can close a gap
      if (blocks.every((b) => feasible(b, l))) best = blocks.length;
      return;
    }
    const t = tags[i] as PlannedTag;
    for (const b of blocks) {
      b.push(t);
      rec(i + 1);
      b.pop();
    }
    blocks.push([t]);
    rec(i + 1);
    blocks.pop();
  };
  rec(0);
  return best;
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('request planner: minimality', () => {
  it('coalesces contiguous float32 tags into one read', () => {
    const tags = Array.from({ length: 15 }, (_, i) => tag(i * 2, 2));
    const reads = coalesce(tags, LIMITS);
    expect(reads.map((r) => [r.start, r.count, r.tags.length])).toEqual([[0, 30, 15]]);
  });

  it('splits at the 125-register protocol limit: 130 contiguous uint16 -> 125 + 5', () => {
    const reads = coalesce(Array.from({ length: 130 }, (_, i) => tag(i, 1)), LIMITS);
    expect(reads.map((r) => [r.start, r.count])).toEqual([
      [0, 125],
      [125, 5],
    ]);
  });

  it('never cuts a multi-register value across reads: 63 float32 -> 62 + 1', () => {
    const reads = coalesce(Array.from({ length: 63 }, (_, i) => tag(i * 2, 2)), LIMITS);
    expect(reads.map((r) => [r.start, r.count])).toEqual([
      [0, 124],
      [124, 2],
    ]);
  });

  it('bridges a gap of exactly maxGap, not maxGap + 1', () => {
    expect(coalesce([tag(0, 1), tag(9, 1)], LIMITS)).toHaveLength(1); // 8 unread registers
    expect(coalesce([tag(0, 1), tag(10, 1)], LIMITS)).toHaveLength(2); // 9 unread registers
  });

  it('reads tags inside other tags for free (bits of one status word, a uint16 view of a float)', () => {
    const reads = coalesce([tag(10, 1, 'bit0'), tag(10, 1, 'bit1'), tag(10, 2, 'f'), tag(11, 1, 'lo')], LIMITS);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ start: 10, count: 2 });
    expect(reads[0]?.tags.map((t) => t.reg.name).sort()).toEqual(['bit0', 'bit1', 'f', 'lo']);
  });

  it('coils: 2000 per read and the bit gap limit', () => {
    const coils = Array.from({ length: 2001 }, (_, i) => tag(i, 1, `c${i}`, 'coil'));
    expect(coalesce(coils, LIMITS).map((r) => r.count)).toEqual([2000, 1]);
    expect(coalesce([tag(0, 1, 'a', 'coil'), tag(129, 1, 'b', 'coil')], LIMITS)).toHaveLength(1);
    expect(coalesce([tag(0, 1, 'a', 'coil'), tag(130, 1, 'b', 'coil')], LIMITS)).toHaveLength(2);
  });

  it('matches brute force over every partition on 400 random maps (with overlaps, gaps and long strings)', () => {
    const rnd = mulberry32(42);
    const limits: PlanLimits = { maxRegisters: 20, maxBits: 2000, maxGap: 3, maxGapBits: 0 };
    for (let trial = 0; trial < 400; trial++) {
      const n = 1 + Math.floor(rnd() * 7);
      const tags = Array.from({ length: n }, (_, i) => tag(Math.floor(rnd() * 40), [1, 1, 2, 4, 6][Math.floor(rnd() * 5)] as number, `t${i}`));
      const reads = coalesce(tags, limits);
      for (const r of reads) expect(feasible([...r.tags], limits)).toBe(true);
      expect(reads.flatMap((r) => r.tags).length).toBe(n);
      expect(reads.length).toBe(bruteForceMin(tags, limits));
    }
  });
});

describe('request planner: groups', () => {
  it('groups per unit id, interval and area', () => {
    const plan = buildPlan(
      cfg([
        { name: 'a', address: 0, type: 'float32' },
        { name: 'b', address: 2, type: 'float32' },
        { name: 'fast', address: 4, type: 'uint16', pollIntervalMs: 100 },
        { name: 'in', area: 'input', address: 0 },
        { name: 'u2', unitId: 2, address: 0 },
        { name: 'c', area: 'coil', address: 3, type: 'bool' },
      ]),
    );
    expect(plan.map((g) => [g.unitId, g.intervalMs, g.reads.map((r) => `${r.area}@${r.start}+${r.count}`)])).toEqual([
      [1, 100, ['holding@4+1']],
      [1, 1000, ['holding@0+4', 'input@0+1', 'coil@3+1']],
      [2, 1000, ['holding@0+1']],
    ]);
  });

  it('takes per-unit poll intervals and the device read limit', () => {
    const plan = buildPlan(
      cfg(
        [
          { name: 'a', address: 0 },
          { name: 'b', address: 1, unitId: 7 },
          ...Array.from({ length: 12 }, (_, i) => ({ name: `r${i}`, address: 10 + i, unitId: 7 })),
        ],
        { devices: [{ unitId: 7, pollIntervalMs: 250 }], maxRegistersPerRead: 8 },
      ),
    );
    expect(plan.map((g) => [g.unitId, g.intervalMs, g.reads.map((r) => [r.start, r.count])])).toEqual([
      [1, 1000, [[0, 1]]],
      [
        7,
        250,
        [
          [1, 1], // 1 and 10 are within maxGap, but 1..17 exceeds 8 registers
          [10, 8],
          [18, 4],
        ],
      ],
    ]);
  });

  it('splits a failed read into halves down to the single bad tag', () => {
    const read = coalesce([tag(0, 2, 'a'), tag(2, 2, 'b'), tag(4, 2, 'c')], LIMITS)[0];
    const halves = splitRead(read!);
    expect(halves?.map((r) => [r.start, r.count, r.tags.map((t) => t.reg.name)])).toEqual([
      [0, 4, ['a', 'b']],
      [4, 2, ['c']],
    ]);
    expect(splitRead(halves![1])).toBeUndefined();
  });

  it('formats the plan for check-config --plan', () => {
    const gw = gatewayConfigSchema.parse({
      gateway: { id: 'g', site: 's' },
      sources: [
        {
          id: 'fan1',
          type: 'modbus',
          host: '10.0.0.5',
          registers: [
            { name: 's2', address: 0, type: 'float32' },
            { name: 's3', address: 2, type: 'float32' },
            { name: 'run', area: 'coil', address: 0, type: 'bool' },
          ],
        },
      ],
    });
    expect(formatModbusPlan(gw)).toBe(
      [
        'source fan1 (tcp://10.0.0.5:502): 3 tags in 2 reads per cycle',
        '  unit 1 every 1000 ms: 2 requests, 3 tags',
        '    FC3 holding 0..3 (4): s2, s3',
        '    FC1 coil 0..0 (1): run',
        '',
      ].join('\n'),
    );
  });
});
