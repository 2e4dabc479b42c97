import { assetConfig, type AssetConfig, type AssetConfigInput } from '../../src/assets/config';
import { AssetPipeline } from '../../src/assets/pipeline';
import { SampleRouter } from '../../src/assets/router';
import type { ModelRunnerLike, SkippedWindow, WindowResult } from '../../src/assets/types';
import { ManualClock } from '../../src/core/clock';
import type { Quality, Sample } from '../../src/core/sample';
import type { AlarmEvent } from '../../src/health/types';
import { silentLogger } from '../../src/observability/logger';

export function asset(over: Partial<AssetConfigInput> = {}): AssetConfig {
  return assetConfig.parse({
    id: 'p1',
    tags: { a: 'src/a', b: 'src/b' },
    window: { type: 'time', size: 10_000, frameMs: 1000 },
    ...over,
  });
}

export function s(tag: string, value: Sample['value'], ts: number, quality: Quality = 'good'): Sample {
  return { tag, value, sourceTs: ts, receivedTs: ts, quality };
}

export interface Harness {
  readonly p: AssetPipeline;
  /** Feeds one source batch to the pipeline the way the gateway does (through a SampleRouter). */
  readonly push: (batch: readonly Sample[]) => void;
  readonly clock: ManualClock;
  readonly windows: WindowResult[];
  readonly skipped: SkippedWindow[];
  readonly alarms: AlarmEvent[];
}

export function harness(cfg: AssetConfig, models?: ModelRunnerLike, t0 = 0): Harness {
  const clock = new ManualClock(t0);
  const p = new AssetPipeline({ config: cfg, logger: silentLogger(), clock, models });
  const router = new SampleRouter([p]);
  const h: Harness = { p, push: (batch) => router.push(batch), clock, windows: [], skipped: [], alarms: [] };
  p.on('window', (w) => h.windows.push(w));
  p.on('skipped', (w) => h.skipped.push(w));
  p.on('alarm', (a) => h.alarms.push(a));
  return h;
}

/** Samples of every listed channel every `periodMs` in [from, to), value = fn(channel, t). */
export function stream(tags: Record<string, number>, from: number, to: number, fn: (tag: string, t: number) => number): Sample[] {
  const out: Sample[] = [];
  for (const [tag, period] of Object.entries(tags)) for (let t = from; t < to; t += period) out.push(s(tag, fn(tag, t), t));
  return out.sort((x, y) => x.sourceTs - y.sourceTs);
}
