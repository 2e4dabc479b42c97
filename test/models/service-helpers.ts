import { join } from 'node:path';
import { assetConfig, type AssetConfig, type AssetConfigInput } from '../../src/assets/config';
import { AssetPipeline } from '../../src/assets/pipeline';
import { SampleRouter } from '../../src/assets/router';
import type { WindowResult } from '../../src/assets/types';
import { ManualClock } from '../../src/core/clock';
import type { Sample } from '../../src/core/sample';
import type { AlarmEvent } from '../../src/health/types';
import { modelsConfig, type ModelsConfigInput } from '../../src/models/config';
import { ModelService } from '../../src/models/service';
import { silentLogger, type Logger } from '../../src/observability/logger';
import { framesManifest, meanModel, writeModel, type Sandbox } from './fixtures';

export const CHANNELS = ['a', 'b'];
export const FRAMES = 4;

export function pumpAsset(over: Partial<AssetConfigInput> = {}): AssetConfig {
  return assetConfig.parse({
    id: 'pump',
    tags: { a: 'plc/a', b: 'plc/b' },
    window: { type: 'count', size: FRAMES, frameMs: 1000, latenessMs: 0 },
    features: ['mean', 'max'],
    models: [{ id: 'pm', role: 'anomaly', input: 'frames' }],
    health: { n: 2, m: 3 },
    ...over,
  });
}

/** Writes version `version` of model pm (score = scale x window mean) into the shipped root or a staging folder. */
export function pmVersion(sb: Sandbox, version: string, opts: { scale?: number; sqrt?: boolean; where?: 'shipped' | 'staging'; range?: [number, number]; threshold?: number } = {}): string {
  const bytes = meanModel(FRAMES, CHANNELS.length, { scale: opts.scale ?? 1, sqrt: opts.sqrt });
  const m = framesManifest({ id: 'pm', version, bytes }, FRAMES, CHANNELS);
  if (opts.threshold !== undefined) m.thresholds = { anomaly: opts.threshold };
  if (opts.range) m.outputs = [{ name: 'score', meaning: 'anomaly-score', range: opts.range }];
  const dir = opts.where === 'staging' ? join(sb.root, 'staging', `pm-${version}`) : join(sb.shipped, 'pm');
  return writeModel(dir, bytes, m, sb.key);
}

/** Model `bl`: the mean of its window, z-scored against a baseline learned from each asset's first 8 frames. */
export function blModel(sb: Sandbox): string {
  const bytes = meanModel(FRAMES, CHANNELS.length);
  const man = framesManifest({ id: 'bl', version: '1.0.0', bytes }, FRAMES, CHANNELS);
  (man.inputs as Record<string, unknown>[])[0]!.normalization = { type: 'baseline', frames: 8, minStd: [0, 0] };
  return writeModel(join(sb.shipped, 'bl'), bytes, man, sb.key);
}

export function service(sb: Sandbox, assets: AssetConfig[], over: ModelsConfigInput = {}, logger: Logger = silentLogger()): ModelService {
  return new ModelService({
    config: modelsConfig.parse({ rescanIntervalMs: 0, probationWindows: 20, ...over }),
    modelsDir: sb.shipped, installDir: sb.install, assets, logger,
  });
}

export interface Rig {
  readonly p: AssetPipeline;
  /** Feeds one source batch to the pipeline the way the gateway does (through a SampleRouter). */
  readonly push: (batch: readonly Sample[]) => void;
  readonly windows: WindowResult[];
  readonly alarms: AlarmEvent[];
  /** Pushes `frames` frames starting at frame `from` with value fn(k) on both channels. */
  frames(from: number, count: number, fn: (k: number) => number): void;
  /**
   * Pushes window after window (FRAMES frames each, constant value), letting scoring settle after
   * each. A window closes when the next one's first frame arrives, so the last one stays open.
   */
  windowsOf(values: readonly number[]): Promise<void>;
  /** Resolves once no window of the pipeline is being scored (polls; the machine may be slow). */
  idle(): Promise<void>;
}

export function rig(cfg: AssetConfig, models: ModelService): Rig {
  const p = new AssetPipeline({ config: cfg, logger: silentLogger(), clock: new ManualClock(0), models });
  const windows: WindowResult[] = [];
  const alarms: AlarmEvent[] = [];
  p.on('window', (w) => windows.push(w));
  p.on('alarm', (a) => alarms.push(a));
  const router = new SampleRouter([p]);
  const push = (batch: readonly Sample[]): void => router.push(batch);
  let next = 0;
  return {
    p, push, windows, alarms,
    frames(from, count, fn) {
      const out: Sample[] = [];
      for (let k = from; k < from + count; k++) {
        for (const t of ['plc/a', 'plc/b']) out.push({ tag: t, value: fn(k), sourceTs: k * 1000, receivedTs: k * 1000, quality: 'good' });
      }
      push(out);
    },
    async windowsOf(values) {
      for (const v of values) {
        this.frames(next, FRAMES, () => v);
        next += FRAMES;
        await this.idle();
      }
    },
    async idle() {
      const until = Date.now() + 20_000;
      await settle();
      while (p.stats().windowsInFlight > 0 && Date.now() < until) await settle();
    },
  };
}

export function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 20));
}
