/**
 * `npm run bench -- inference [--assets 64] [--rounds 1000] [--warmup 100] [--step frames] [--inflight 2] [--inference worker|main] [--repeat 1] [--feed all|frames|columns|samples] [--model all|built|shipped|dcnn|ae|cmapss-rul|skab-anomaly]`
 *
 * The whole analytics path (samples -> aligned frames -> count window -> features -> batched
 * onnxruntime inference -> health state) for `assets` assets sharing one model, against a bare
 * onnxruntime-node `session.run` loop on the same model at the same batch (= assets), in the same
 * run. Models: the two shipped ones (models/cmapss-rul, models/skab-anomaly: verified, signature
 * checked and loaded by the real ModelService) and two built here with random weights (dcnn, ae).
 * Each round every asset receives one window's worth of frames (`--step S`: S frames into windows
 * that slide by S, e.g. 1 for a score per cycle or per point), so a round is one batch of
 * `assets` windows. Up to `--inflight` rounds are pushed before the oldest has come out (a source
 * keeps delivering while a batch is scored; 1 = push, wait for every window, push again), and the
 * model runs where `--inference` says (the gateway's default: a worker thread). Figures: windows/s, per-window latency p50/p99 (push of the round -> window
 * event; bare: run latency), ratio ours/bare, CPU time per window and the path's own CPU per
 * window (ours minus bare).
 */
import * as ort from 'onnxruntime-node';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assetConfig, type AssetConfig } from '../src/assets/config';
import { AssetPipeline } from '../src/assets/pipeline';
import { SampleRouter } from '../src/assets/router';
import { ColumnBatchBuilder } from '../src/core/batch';
import type { Sample } from '../src/core/sample';
import { modelsConfig } from '../src/models/config';
import { ModelService } from '../src/models/service';
import { ortOptions, type InferenceThread } from '../src/models/session-host';
import { silentLogger } from '../src/observability/logger';
import { builtCase, shippedCase, type BenchCase } from './_inference-cases';
import { mainThreadCpuNs } from './_proc-cpu';
import { median } from './_stats';
import { benchRows, ratioBound, windowFloorUs } from './_window-floor';
import { rng } from './_models';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

interface Figures {
  windowsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of the process (every thread) per window over the measured runs, microseconds. */
  cpuUsPerWindow: number;
  /** The main thread's share of it. */
  mainCpuUsPerWindow: number;
  /**
   * The same over the least loaded block of BLOCK consecutive rounds: on a shared machine other
   * processes slow ours down (caches, memory bandwidth) in bursts; this is the figure they touched least.
   */
  cpuMinUsPerWindow: number;
}

const BLOCK = 10;

/** Collects CPU time per block of BLOCK rounds and gives the smallest per window. */
class Blocks {
  private cur = 0;
  private rounds = 0;
  private min = Infinity;

  add(cpuUs: number, rounds = 1): void {
    this.cur += cpuUs;
    this.rounds += rounds;
    if (this.rounds % BLOCK === 0) {
      this.min = Math.min(this.min, this.cur);
      this.cur = 0;
    }
  }

  minPerWindow(batch: number): number {
    return this.min / (BLOCK * batch);
  }
}

/**
 * CPU microseconds of the main thread (NaN off Linux). With inference in a worker thread the main
 * thread's time is what limits the rate when a second core is free.
 */
function mainThreadCpuUs(): number {
  return (mainThreadCpuNs() ?? NaN) / 1000;
}

/** CPU microseconds (user + system, all threads) since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return d.user + d.system;
}

async function bare(c: BenchCase, batch: number, rounds: number, warmup: number): Promise<Figures> {
  const s = await ort.InferenceSession.create(c.bytes, ortOptions({ threads: 1 }));
  const r = rng(3);
  const ch = c.channels.length;
  // Normalized values, as the path feeds the model (its inputs are within one std of the mean).
  const x = Float32Array.from({ length: batch * c.frames * ch }, () => 2 * r());
  const input = s.inputNames[0];
  const lat: number[] = [];
  let total = 0;
  const blocks = new Blocks();
  // CPU is read per block of runs and over the whole loop, not around each run: a read of the
  // main thread's /proc file costs ~12 us (a profile: 304 ms over ~25,000 reads), which would be charged to bare at every run.
  let c0 = process.cpuUsage();
  let block = c0;
  let m0 = 0;
  for (let i = 0; i < warmup + rounds; i++) {
    if (i === warmup) {
      c0 = block = process.cpuUsage();
      m0 = mainThreadCpuUs();
    }
    // A fresh tensor per run, as the pipeline builds one per batch.
    const feeds = { [input]: new ort.Tensor('float32', x, [batch, c.frames, ch]) };
    const t0 = performance.now();
    await s.run(feeds);
    const dt = performance.now() - t0;
    if (i >= warmup) {
      total += dt;
      for (let k = 0; k < batch; k++) lat.push(dt);
      if ((i + 1 - warmup) % BLOCK === 0) {
        blocks.add(cpuSince(block), BLOCK);
        block = process.cpuUsage();
      }
    }
  }
  const cpu = cpuSince(c0);
  const mainCpu = mainThreadCpuUs() - m0;
  await s.release();
  lat.sort((a, b) => a - b);
  return { windowsPerSec: (batch * rounds) / (total / 1000), p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99), cpuUsPerWindow: cpu / (batch * rounds), mainCpuUsPerWindow: mainCpu / (batch * rounds), cpuMinUsPerWindow: blocks.minPerWindow(batch) };
}

/**
 * frames: aligned rows (pushFrame, as a replay feeds them); columns: one ColumnBatch per asset and
 * frame through SampleRouter.attach, as the gateway's sources deliver (a poll of the asset's
 * tags, no object per value); samples: Sample objects through SampleRouter.listener().
 */
type Feed = 'frames' | 'columns' | 'samples';
type MutableSample = { -readonly [K in keyof Sample]: Sample[K] };

interface OursOptions {
  readonly assets: number;
  readonly rounds: number;
  readonly warmup: number;
  readonly step: number;
  /** Rounds pushed before the oldest has come out (1: push, wait for every window, push again). */
  readonly inflight: number;
  readonly thread: InferenceThread;
}

async function ours(feed: Feed, c: BenchCase, o: OursOptions): Promise<Figures & { meanBatch: number }> {
  const { assets, rounds, step } = o;
  const root = mkdtempSync(join(tmpdir(), 'pdm-bench-'));
  try {
    const ch = c.channels.length;
    const W = c.frames;
    const configs: AssetConfig[] = Array.from({ length: assets }, (_, a) => assetConfig.parse({
      id: `asset-${a}`, tags: Object.fromEntries(c.channels.map((n) => [n, `src${a}/${n}`])),
      window: { type: 'count', size: W, step, frameMs: 1000, latenessMs: 0 },
      features: ['mean', 'std', 'min', 'max', 'rms'], models: [{ id: c.id, role: c.kind, input: 'frames' }], health: { n: 3, m: 5 },
    }));
    const svc = new ModelService({ config: modelsConfig.parse({ maxBatch: assets, threads: 1, rescanIntervalMs: 0, inferenceThread: o.thread }), modelsDir: c.modelsDir, installDir: join(root, 'data'), assets: configs, logger: silentLogger() });
    await svc.start();
    if (!svc.health().healthy) throw new Error(`model not loaded: ${svc.health().detail}`);
    // Round 0 feeds frames 0 .. W, round k frames W+1+(k-1)S .. W+kS (S = step): each round
    // completes one window per asset. Frame f of an asset takes row f % P of a ring of P = W + 1
    // rows made before the clock starts (one round's worth, as the fresh input of a round would
    // be: 0.7 MB over 64 assets at [50x14], within the L2 cache like input just decoded), in rows
    // and sample objects the pipeline keeps neither of; a round sets the samples' times and lists
    // them (charged to ours: a source stamps and batches its samples too).
    const perRound = (k: number): number => (k === 0 ? W + 1 : step);
    const firstFrame = (k: number): number => (k === 0 ? 0 : W + 1 + (k - 1) * step);
    const P = W + 1;
    const rows = benchRows(c, assets);
    const samples: MutableSample[][] = rows.map((ring, a) => ring.flatMap((row) => Array.from(row, (value, j): MutableSample => ({ tag: configs[a].tags[c.channels[j]], value, sourceTs: 0, receivedTs: 0, quality: 'good' }))));
    const lists: Sample[][] = configs.map(() => []);
    const pipes = configs.map((cfg) => new AssetPipeline({ config: cfg, logger: silentLogger(), models: svc }));
    // Samples go through one SampleRouter, one listener per asset's source, as in the gateway.
    const router = new SampleRouter(pipes);
    const feeds = pipes.map(() => router.listener());
    const sources = pipes.map(() => new EventEmitter());
    for (const src of sources) router.attach(src);
    const builders = configs.map((cfg) => new ColumnBatchBuilder({ tags: c.channels.map((n) => cfg.tags[n]) }, ch, false));
    const push = (k: number): void => {
      const n = perRound(k);
      const f0 = firstFrame(k);
      if (feed === 'columns') {
        for (let a = 0; a < assets; a++) {
          const b = builders[a];
          for (let i = 0; i < n; i++) {
            const ts = (f0 + i) * 1000;
            const row = rows[a][(f0 + i) % P];
            b.reset();
            for (let j = 0; j < ch; j++) b.value(j, row[j], ts, ts);
            sources[a].emit('batch', b);
          }
        }
      } else if (feed === 'samples') {
        for (let a = 0; a < assets; a++) {
          const list = lists[a];
          list.length = 0;
          for (let i = 0; i < n; i++) {
            const at = ((f0 + i) % P) * ch;
            for (let j = 0; j < ch; j++) {
              const s = samples[a][at + j];
              s.sourceTs = s.receivedTs = (f0 + i) * 1000;
              list.push(s);
            }
          }
          feeds[a](list);
        }
      } else {
        for (let a = 0; a < assets; a++) for (let i = 0; i < n; i++) pipes[a].pushFrame((f0 + i) * 1000, rows[a][(f0 + i) % P]);
      }
    };
    const warm = Math.max(o.warmup, Math.ceil(Math.max(0, c.calibrationFrames - W) / step) + 3);
    const total = warm + rounds;
    const pushedAt: number[] = [];
    const lat: number[] = [];
    const blocks = new Blocks();
    let emitted = 0;
    let waiter: (() => void) | undefined;
    let blockCpu = process.cpuUsage();
    for (const p of pipes) {
      p.on('window', (w) => {
        const round = Math.floor(emitted / assets);
        emitted++;
        if (round >= warm) {
          // Windows before the baseline is calibrated have no score (warm-up only).
          if (!w.health) throw new Error(`window of ${w.asset} not scored`);
          lat.push(performance.now() - pushedAt[round]);
          if (emitted % assets === 0 && (round + 1 - warm) % BLOCK === 0) {
            blocks.add(cpuSince(blockCpu), BLOCK);
            blockCpu = process.cpuUsage();
          }
        }
        if (waiter && emitted % assets === 0) waiter();
      });
    }
    const roundsOut = (): number => Math.floor(emitted / assets);
    const until = async (rounds: number): Promise<void> => {
      while (roundsOut() < rounds) await new Promise<void>((res) => { waiter = res; });
    };
    let t0 = 0;
    let c0 = process.cpuUsage();
    let m0 = 0;
    for (let k = 0; k < total; k++) {
      if (k === warm) {
        await until(warm);
        t0 = performance.now();
        c0 = blockCpu = process.cpuUsage();
        m0 = mainThreadCpuUs();
      }
      pushedAt[k] = performance.now();
      push(k);
      await until(k + 2 - o.inflight);
    }
    await until(total);
    const wall = performance.now() - t0;
    const cpu = cpuSince(c0);
    const mainCpu = mainThreadCpuUs() - m0;
    const st = svc.stats();
    await Promise.all(pipes.map((p) => p.stop()));
    await svc.stop();
    lat.sort((x, y) => x - y);
    return { windowsPerSec: (assets * rounds) / (wall / 1000), p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99), cpuUsPerWindow: cpu / (assets * rounds), mainCpuUsPerWindow: mainCpu / (assets * rounds), cpuMinUsPerWindow: blocks.minPerWindow(assets), meanBatch: st.meanBatch };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function arg(args: string[], name: string, def: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
}

const FEEDS: readonly Feed[] = ['frames', 'columns', 'samples'];
const FEED_LABEL: Record<Feed, string> = {
  frames: 'frames -> features -> inference -> health:                 ',
  columns: 'column batches -> (alignment) -> ... -> health (sources): ',
  samples: 'Sample objects -> (alignment) -> ... -> health:           ',
};
const SHIPPED = ['cmapss-rul', 'skab-anomaly'] as const;
const BUILT = ['dcnn', 'ae'] as const;

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const assets = Number(arg(args, 'assets', '64'));
  // Long enough for V8 to have optimized the path (150 rounds after 20, the default until
  // 2026-11-30, measured it still warming up: cmapss-rul frames 0.56-0.59 against 0.69-0.83).
  const rounds = Number(arg(args, 'rounds', '1000'));
  const warmup = Number(arg(args, 'warmup', '100'));
  const which = arg(args, 'model', 'all');
  const stepArg = arg(args, 'step', '');
  const inflight = Number(arg(args, 'inflight', '2'));
  const thread = arg(args, 'inference', 'worker');
  // Each repeat is one interleaved set (bare, frames, samples, bare); with several, each set's
  // ratios and their medians are reported (the bare loop alone moves ~1.4x between minutes here).
  const repeat = Number(arg(args, 'repeat', '1'));
  const feedArg = arg(args, 'feed', 'all');
  const feeds = FEEDS.filter((f) => feedArg === 'all' || feedArg === f);
  if (feeds.length === 0) throw new Error(`--feed ${feedArg}: expected all, ${FEEDS.join(', ')}`);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat ${repeat}: expected a whole number >= 1`);
  if (!Number.isInteger(inflight) || inflight < 1) throw new Error(`--inflight ${inflight}: expected a whole number >= 1`);
  if (thread !== 'worker' && thread !== 'main') throw new Error(`--inference ${thread}: expected worker or main`);
  const names = [...SHIPPED, ...BUILT].filter((n) => which === 'all' || which === n || (which === 'shipped' && (SHIPPED as readonly string[]).includes(n)) || (which === 'built' && (BUILT as readonly string[]).includes(n)));
  if (names.length === 0) throw new Error(`--model ${which}: expected all, built, shipped, ${[...SHIPPED, ...BUILT].join(', ')}`);
  const out: Record<string, unknown> = { batch: assets, rounds, inflight, inference: thread, loadavg: 0 };
  const root = mkdtempSync(join(tmpdir(), 'pdm-bench-models-'));
  const load: number[] = [];
  try {
    for (const name of names) {
      const c = name === 'dcnn' || name === 'ae' ? builtCase(root, name) : shippedCase(name);
      load.push((await import('node:os')).loadavg()[0]);
      const step = stepArg === '' ? c.frames : Number(stepArg);
      if (!Number.isInteger(step) || step < 1 || step > c.frames) throw new Error(`--step ${stepArg}: expected a whole number of frames from 1 to the window (${c.frames})`);
      const ratios: Record<Feed, number[]> = { frames: [], columns: [], samples: [] };
      const oo: OursOptions = { assets, rounds, warmup, step, inflight, thread };
      const mean = (x: number, y: number): number => (x + y) / 2;
      // With --repeat the model's figures below are the last set's; each set's ratios and their
      // medians are added after the loop.
      for (let rep = 0; rep < repeat; rep++) {
        // Interleaved (bare, each feed, bare): the machine is shared, so the bare figure is the
        // mean of a run before and after ours.
        const b1 = await bare(c, assets, rounds, warmup);
        const runs: [Feed, Figures & { meanBatch: number }][] = [];
        for (const feed of feeds) runs.push([feed, await ours(feed, c, oo)]);
        const b2 = await bare(c, assets, rounds, warmup);
        const floorUs = windowFloorUs(c, assets, step, rounds, warmup);
        const b: Figures = {
          windowsPerSec: mean(b1.windowsPerSec, b2.windowsPerSec), p50Ms: mean(b1.p50Ms, b2.p50Ms), p99Ms: mean(b1.p99Ms, b2.p99Ms),
          cpuUsPerWindow: mean(b1.cpuUsPerWindow, b2.cpuUsPerWindow), mainCpuUsPerWindow: mean(b1.mainCpuUsPerWindow, b2.mainCpuUsPerWindow), cpuMinUsPerWindow: Math.min(b1.cpuMinUsPerWindow, b2.cpuMinUsPerWindow),
        };
        // The path's own cost: CPU per window of ours minus that of the bare loop (CPU time, so a
        // busy machine inflates it less than it does wall-clock rates), over all rounds and over
        // the least loaded block of each.
        const own = (f: Figures): number => f.cpuUsPerWindow - b.cpuUsPerWindow;
        const ownMin = (f: Figures): number => f.cpuMinUsPerWindow - b.cpuMinUsPerWindow;
        const fmt = (f: Figures): string => `${f.windowsPerSec.toFixed(0)} windows/s (p50 ${f.p50Ms.toFixed(2)} ms, p99 ${f.p99Ms.toFixed(2)} ms, cpu ${f.cpuUsPerWindow.toFixed(1)} us/window, main thread ${f.mainCpuUsPerWindow.toFixed(1)}, least loaded block ${f.cpuMinUsPerWindow.toFixed(1)})`;
        process.stdout.write(`${c.name} [${c.frames}x${c.channels.length}] step ${step} batch ${assets}: bare session.run ${fmt(b)} [runs: ${b1.windowsPerSec.toFixed(0)}, ${b2.windowsPerSec.toFixed(0)}]\n`);
        const bound = ratioBound(b.windowsPerSec, floorUs);
        process.stdout.write(`  floor (the path's kernels only: rows -> 5 features -> normalized batch, one thread): ${floorUs.toFixed(2)} us/window; with inference on a second core no path exceeds ratio ${bound.toFixed(3)}\n`);
        const fig: Record<string, unknown> = {
          window: [c.frames, c.channels.length], step,
          floorUsPerWindow: round(floorUs), ratioBound: round(bound),
          bareWindowsPerSec: Math.round(b.windowsPerSec), bareP50Ms: round(b.p50Ms), bareP99Ms: round(b.p99Ms), bareCpuUsPerWindow: round(b.cpuUsPerWindow), bareCpuMinUsPerWindow: round(b.cpuMinUsPerWindow),
        };
        for (const [feed, f] of runs) {
          const ratio = f.windowsPerSec / b.windowsPerSec;
          process.stdout.write(`  ${FEED_LABEL[feed]} ${fmt(f)}, mean batch ${f.meanBatch.toFixed(1)}, ratio ${ratio.toFixed(3)}, own ${own(f).toFixed(1)} us/window (least loaded ${ownMin(f).toFixed(1)})\n`);
          Object.assign(fig, {
            [`${feed}WindowsPerSec`]: Math.round(f.windowsPerSec), [`${feed}P50Ms`]: round(f.p50Ms), [`${feed}P99Ms`]: round(f.p99Ms), [`${feed}Ratio`]: round(ratio),
            [`${feed}CpuUsPerWindow`]: round(f.cpuUsPerWindow), [`${feed}OwnUsPerWindow`]: round(own(f)), [`${feed}CpuMinUsPerWindow`]: round(f.cpuMinUsPerWindow),
            [`${feed}MainCpuUsPerWindow`]: round(f.mainCpuUsPerWindow), [`${feed}OwnMinUsPerWindow`]: round(ownMin(f)),
          });
          ratios[feed].push(round(ratio));
        }
        fig.meanBatch = round(runs[0][1].meanBatch);
        out[c.name] = fig;
      }
      if (repeat > 1) {
        const fig = out[c.name] as Record<string, unknown>;
        for (const feed of feeds) Object.assign(fig, { [`${feed}RatioRounds`]: ratios[feed], [`${feed}RatioMedian`]: round(median(ratios[feed])) });
        process.stdout.write(`  ${c.name}: ${repeat} sets, ratio medians ${feeds.map((f) => `${f} ${median(ratios[f]).toFixed(3)} [${ratios[f].join(', ')}]`).join(', ')}\n`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  out.loadavg = round(load.reduce((s, v) => s + v, 0) / load.length);
  return out;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
