import { createWriteStream, openSync } from 'node:fs';
import type { Command } from 'commander';
import { assetChannels, type AssetConfig } from '../assets/config';
import { readFrameCsv, type FrameCsvOptions } from '../assets/frame-csv';
import { AssetPipeline } from '../assets/pipeline';
import { ManualClock } from '../core/clock';
import { FatalError } from '../core/errors';
import { loadConfig, type LoadedConfig } from '../config/load';
import type { ModelService } from '../models/service';
import type { WindowResult } from '../assets/types';
import type { AlarmEvent } from '../health/types';
import { createLogger, type Logger } from '../observability/logger';
import { startOfflineModels } from './offline-models';

export interface ReplaySummary {
  readonly rows: number;
  readonly windows: number;
  readonly alarmsRaised: number;
  /** Bad times (rows left out) and bad cells (read as missing) in the file. */
  readonly problems: number;
  readonly models: readonly string[];
}

/** Rows pushed between waits for scoring, so a long file does not queue all its windows at once. */
const PACE_ROWS = 2000;

/**
 * `pdm-gateway replay`: a recorded CSV through one asset's real pipeline (alignment, gap policy,
 * windows, features, the models the config binds, health and alarms), offline. Each window and
 * alarm is written as one JSON line, as the gateway stores it in the outbox (summary and alarm
 * classes). Baseline calibrations stay in memory, so a running gateway's are never overwritten.
 */
export async function replayCsv(loaded: LoadedConfig, assetId: string, csvFile: string, read: Omit<FrameCsvOptions, 'frameMs'>, out: (line: string) => void, log: Logger): Promise<ReplaySummary> {
  const asset = findAsset(loaded, assetId);
  const csv = readFrameCsv(csvFile, assetChannels(asset), { ...read, frameMs: asset.window.frameMs });
  for (const p of csv.problems.slice(0, 20)) log.warn(p.message);
  if (csv.problems.length > 20) log.warn(`${csv.problems.length - 20} more problems in ${csvFile}`);
  if (csv.ignored.length > 0) log.info(`${csvFile}: columns ignored (not channels of asset ${asset.id}): ${csv.ignored.join(', ')}`);
  let windows = 0;
  let alarmsRaised = 0;
  const models = await replayFrames(loaded, asset, csv, log, {
    window: (w) => {
      windows++;
      out(JSON.stringify({ type: 'window', ...w }));
    },
    alarm: (a) => {
      if (a.action === 'raise') alarmsRaised++;
      out(JSON.stringify({ type: 'alarm', ...a }));
    },
  });
  return { rows: csv.rows, windows, alarmsRaised, problems: csv.problems.length, models };
}

/** Rows of an asset's channels (assetChannels order) and their source times. */
export interface Frames {
  readonly ts: Float64Array;
  readonly values: ArrayLike<number> & { subarray(from: number, to: number): ArrayLike<number> };
  readonly rows: number;
}

/**
 * The core of a replay: `frames` through the asset's pipeline and the models it binds (as the gateway
 * loads them; one that would not score stops the replay, naming why), until the last full window is
 * scored. Returns the models used, `id version`.
 */
export async function replayFrames(loaded: LoadedConfig, asset: AssetConfig, frames: Frames, log: Logger, on: { window(w: WindowResult): void; alarm(a: AlarmEvent): void }): Promise<string[]> {
  const models = asset.models.length > 0 ? await startModels(loaded, asset, log) : undefined;
  const used = (models?.models() ?? []).map((m) => `${m.id} ${m.version ?? ''}`);
  // Time is the file's: the gateway clock stands still, so nothing closes by silence until the end.
  const p = new AssetPipeline({ config: asset, logger: log, clock: new ManualClock(0), models });
  p.on('window', (w) => on.window(w));
  p.on('alarm', (a) => on.alarm(a));
  const width = assetChannels(asset).length;
  try {
    for (let r = 0; r < frames.rows; r++) {
      p.pushFrame(frames.ts[r]!, frames.values.subarray(r * width, (r + 1) * width));
      if ((r + 1) % PACE_ROWS === 0) await p.drained();
    }
    p.finish();
    await p.stop();
  } finally {
    await models?.stop();
  }
  return used;
}

function findAsset(loaded: LoadedConfig, id: string): AssetConfig {
  const asset = loaded.config.assets.find((a) => a.id === id);
  if (!asset) throw new FatalError('--asset', `no asset ${id} in ${loaded.file} (assets: ${loaded.config.assets.map((a) => a.id).join(', ') || 'none'})`);
  return asset;
}

/** The asset's models as the gateway loads them; a binding that would not score stops the replay, naming why. */
async function startModels(loaded: LoadedConfig, asset: AssetConfig, log: Logger): Promise<ModelService> {
  const svc = await startOfflineModels(loaded, [asset], log);
  const refused = svc.models().filter((m) => m.version === undefined);
  if (refused.length > 0) {
    await svc.stop();
    throw new FatalError(`asset ${asset.id}`, refused.map((m) => m.error ?? `model ${m.id} not loaded`).join('; '));
  }
  return svc;
}

function openOut(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (e) {
    throw new FatalError('--out', `cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** `a=Column A,b=B` to { a: 'Column A', b: 'B' }. */
function columnMap(text: string): Record<string, string> {
  const pairs = text.split(',').map((p) => p.split('=').map((s) => s.trim()));
  const bad = pairs.find((p) => p.length !== 2 || !p[0] || !p[1]);
  if (bad) throw new FatalError('--columns', `expected channel=column pairs separated by commas, got ${JSON.stringify(bad.join('='))}`);
  return Object.fromEntries(pairs);
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description("Run a recorded CSV (a header row naming the asset's channels) through one asset's pipeline and models, offline: one JSON line per window and alarm")
    .requiredOption('-c, --config <file>', 'gateway config (the asset, its models and the models directory)')
    .requiredOption('-a, --asset <id>', 'asset to replay')
    .requiredOption('--csv <file>', 'recorded rows; comma, semicolon or tab separated')
    .option('--columns <map>', 'channel=column pairs, comma-separated, for columns not named after their channel')
    .option('--time-column <name>', 'column of each row\'s time, epoch ms or ISO 8601 (default: time, timestamp, datetime or ts if present; else rows are window.frameMs apart)')
    .option('--ignore-time', "space the rows window.frameMs apart whatever the file's times (a recording at another rate than the asset's frames)")
    .option('-o, --out <file>', 'write the JSON lines to this file instead of stdout')
    .action(async (o: { config: string; asset: string; csv: string; columns?: string; timeColumn?: string; ignoreTime?: boolean; out?: string }) => {
      const log = createLogger({ level: process.env.PDM_LOG_LEVEL ?? 'warn', fd: 2 });
      // Opened here, so a bad path fails now with its message rather than as a stream error later.
      const file = o.out ? createWriteStream('', { fd: openOut(o.out) }) : undefined;
      const out = file ? (line: string): void => void file.write(`${line}\n`) : (line: string): void => void process.stdout.write(`${line}\n`);
      const read = { columns: o.columns === undefined ? undefined : columnMap(o.columns), timeColumn: o.ignoreTime ? null : o.timeColumn };
      const s = await replayCsv(loadConfig(o.config), o.asset, o.csv, read, out, log);
      if (file) await new Promise<void>((resolve) => file.end(resolve));
      process.stderr.write(`replayed ${s.rows} rows of ${o.csv} through asset ${o.asset} (models: ${s.models.join(', ') || 'none'}): ${s.windows} windows, ${s.alarmsRaised} alarms raised, ${s.problems} problems in the file\n`);
    });
}
