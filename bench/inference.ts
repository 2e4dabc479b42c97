/**
 * `npm run bench -- inference [--assets 64] [--rounds 150] [--warmup 20] [--model dcnn|ae|both]`
 *
 * The whole analytics path (samples -> aligned frames -> count window -> features -> batched
 * onnxruntime inference -> health state) for `assets` assets sharing one model, against a bare
 * onnxruntime-node `session.run` loop on the same model at the same batch (= assets), in the same
 * run. Each round every asset receives one window's worth of samples (30 frames x channels), so a
 * round is one batch of `assets` windows. Figures: windows/s, per-window latency p50/p99 (push of
 * the round -> window event; bare: run latency), ratio ours/bare, CPU time per window and the
 * path's overhead (ours minus bare CPU per window).
 */
import * as ort from 'onnxruntime-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assetConfig, type AssetConfig } from '../src/assets/config';
import { AssetPipeline } from '../src/assets/pipeline';
import type { Sample } from '../src/core/sample';
import { modelsConfig } from '../src/models/config';
import { ModelService } from '../src/models/service';
import { generateSigningKey, readPrivateKey, signManifest } from '../src/models/signing';
import { silentLogger } from '../src/observability/logger';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { autoencoder, dcnn, rng, WINDOW, type BenchModel } from './_models';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

interface Figures {
  windowsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of the process (every thread) per window over the measured runs, microseconds. */
  cpuUsPerWindow: number;
}

/** CPU microseconds (user + system, all threads) since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return d.user + d.system;
}

async function bare(bytes: Uint8Array, batch: number, channels: number, rounds: number, warmup: number): Promise<Figures> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  const r = rng(3);
  const x = Float32Array.from({ length: batch * WINDOW * channels }, r);
  const lat: number[] = [];
  let total = 0;
  let cpu = 0;
  for (let i = 0; i < warmup + rounds; i++) {
    // A fresh tensor per run, as the pipeline builds one per batch.
    const feeds = { x: new ort.Tensor('float32', x, [batch, WINDOW, channels]) };
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await s.run(feeds);
    const dt = performance.now() - t0;
    if (i >= warmup) {
      cpu += cpuSince(c0);
      total += dt;
      for (let k = 0; k < batch; k++) lat.push(dt);
    }
  }
  await s.release();
  lat.sort((a, b) => a - b);
  return { windowsPerSec: (batch * rounds) / (total / 1000), p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99), cpuUsPerWindow: cpu / (batch * rounds) };
}

type Feed = 'frames' | 'samples';

async function ours(feed: Feed, model: BenchModel, id: string, kind: 'rul' | 'anomaly', assets: number, channels: number, rounds: number, warmup: number): Promise<Figures & { meanBatch: number }> {
  const root = mkdtempSync(join(tmpdir(), 'pdm-bench-'));
  try {
    const shipped = join(root, 'models');
    mkdirSync(join(shipped, 'trusted'), { recursive: true });
    const key = generateSigningKey(join(shipped, 'trusted'), 'bench');
    const names = Array.from({ length: channels }, (_, i) => `c${i}`);
    const manifest: Record<string, unknown> = {
      id, version: '1.0.0', kind, sha256: createHash('sha256').update(model.bytes).digest('hex'),
      inputs: [{ name: 'x', layout: 'frames', shape: [-1, WINDOW, channels], channels: names, frames: WINDOW, normalization: { type: 'zscore', mean: names.map(() => 0), std: names.map(() => 1) } }],
      outputs: [{ name: model.output, meaning: model.meaning }],
      thresholds: kind === 'rul' ? { rulWarn: 50, rulAlarm: 20 } : { anomaly: 1 },
    };
    manifest.signature = signManifest(manifest, readPrivateKey(key.privateKeyPath));
    mkdirSync(join(shipped, id));
    writeFileSync(join(shipped, id, 'model.onnx'), model.bytes);
    writeFileSync(join(shipped, id, 'manifest.json'), JSON.stringify(manifest));
    const configs: AssetConfig[] = Array.from({ length: assets }, (_, a) => assetConfig.parse({
      id: `asset-${a}`, tags: Object.fromEntries(names.map((n) => [n, `src${a}/${n}`])),
      window: { type: 'count', size: WINDOW, frameMs: 1000, latenessMs: 0 },
      features: ['mean', 'std', 'min', 'max', 'rms'], models: [{ id, role: kind, input: 'frames' }], health: { n: 3, m: 5 },
    }));
    const svc = new ModelService({ config: modelsConfig.parse({ maxBatch: assets, threads: 1, rescanIntervalMs: 0 }), modelsDir: shipped, installDir: join(root, 'data'), assets: configs, logger: silentLogger() });
    await svc.start();
    if (!svc.health().healthy) throw new Error(`model not loaded: ${svc.health().detail}`);
    let emitted = 0;
    let t0 = 0;
    let waiter: (() => void) | undefined;
    let target = 0;
    const lat: number[] = [];
    let measuring = false;
    const pipes = configs.map((cfg) => {
      const p = new AssetPipeline({ config: cfg, logger: silentLogger(), models: svc });
      p.on('window', (w) => {
        if (!w.health) throw new Error(`window of ${w.asset} not scored`);
        emitted++;
        if (measuring) lat.push(performance.now() - t0);
        if (emitted === target && waiter) waiter();
      });
      return p;
    });
    const r = rng(5);
    // Round k feeds frames 30k+1 .. 30k+30: the last one opens the next window and closes this one.
    // The input is made before the clock starts: its cost belongs to the source, not to analytics.
    // It is written into objects and rows allocated once (the pipeline keeps neither), so the
    // garbage of making it is not collected, and charged to analytics, during the timed rounds.
    const frameIndexes = (k: number): number[] => Array.from({ length: k === 0 ? WINDOW + 1 : WINDOW }, (_, i) => (k === 0 ? i : WINDOW * k + 1 + i));
    const sampleBufs: Sample[][] = configs.map((cfg) => Array.from({ length: (WINDOW + 1) * channels }, (_, i) => ({ tag: Object.values(cfg.tags)[i % channels], value: 0, sourceTs: 0, receivedTs: 0, quality: 'good' })));
    const rowBufs: Float64Array[][] = configs.map(() => Array.from({ length: WINDOW + 1 }, () => new Float64Array(channels)));
    const roundSamples = (k: number): Sample[][] => sampleBufs.map((buf, a) => {
      const fs = frameIndexes(k);
      fs.forEach((f, i) => {
        for (let c = 0; c < channels; c++) {
          const smp = buf[i * channels + c] as { -readonly [K in keyof Sample]: Sample[K] };
          smp.value = r() + a * 0.001;
          smp.sourceTs = smp.receivedTs = f * 1000;
        }
      });
      return buf.slice(0, fs.length * channels);
    });
    const roundFrames = (k: number): [number, Float64Array][][] => rowBufs.map((rows) => frameIndexes(k).map((f, i) => {
      for (let c = 0; c < channels; c++) rows[i][c] = r();
      return [f * 1000, rows[i]];
    }));
    let total = 0;
    let cpu = 0;
    for (let k = 0; k < warmup + rounds; k++) {
      const samples = feed === 'samples' ? roundSamples(k) : [];
      const frames = feed === 'frames' ? roundFrames(k) : [];
      target = assets * (k + 1);
      measuring = k >= warmup;
      const done = new Promise<void>((res) => { waiter = res; });
      const c0 = process.cpuUsage();
      t0 = performance.now();
      if (feed === 'samples') pipes.forEach((p, a) => p.push(samples[a]));
      else pipes.forEach((p, a) => { for (const [ts, row] of frames[a]) p.pushFrame(ts, row); });
      await done;
      if (measuring) {
        total += performance.now() - t0;
        cpu += cpuSince(c0);
      }
    }
    const st = svc.stats();
    await Promise.all(pipes.map((p) => p.stop()));
    await svc.stop();
    lat.sort((a, b) => a - b);
    return { windowsPerSec: (assets * rounds) / (total / 1000), p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99), cpuUsPerWindow: cpu / (assets * rounds), meanBatch: st.meanBatch };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function arg(args: string[], name: string, def: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
}

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const assets = Number(arg(args, 'assets', '64'));
  const rounds = Number(arg(args, 'rounds', '150'));
  const warmup = Number(arg(args, 'warmup', '20'));
  const which = arg(args, 'model', 'both');
  const out: Record<string, unknown> = { batch: assets, rounds, window: WINDOW };
  const cases = [
    { name: 'dcnn', channels: 14, make: dcnn, kind: 'rul' as const },
    { name: 'ae', channels: 8, make: autoencoder, kind: 'anomaly' as const },
  ].filter((c) => which === 'both' || which === c.name);
  for (const c of cases) {
    const model = c.make(c.channels);
    // Interleaved (bare, frames, samples, bare): the machine is shared, so the bare figure is the
    // mean of a run before and after ours.
    const b1 = await bare(model.bytes, assets, c.channels, rounds, warmup);
    const fr = await ours('frames', model, c.name, c.kind, assets, c.channels, rounds, warmup);
    const sm = await ours('samples', model, c.name, c.kind, assets, c.channels, rounds, warmup);
    const b2 = await bare(model.bytes, assets, c.channels, rounds, warmup);
    const mean = (x: number, y: number): number => (x + y) / 2;
    const b: Figures = { windowsPerSec: mean(b1.windowsPerSec, b2.windowsPerSec), p50Ms: mean(b1.p50Ms, b2.p50Ms), p99Ms: mean(b1.p99Ms, b2.p99Ms), cpuUsPerWindow: mean(b1.cpuUsPerWindow, b2.cpuUsPerWindow) };
    // What the path costs beside the run itself: CPU per window of ours minus that of the bare loop
    // (CPU time, so a busy machine inflates it less than it does wall-clock rates).
    const overhead = (f: Figures): number => f.cpuUsPerWindow - b.cpuUsPerWindow;
    const fmt = (f: Figures): string => `${f.windowsPerSec.toFixed(0)} windows/s (p50 ${f.p50Ms.toFixed(2)} ms, p99 ${f.p99Ms.toFixed(2)} ms, cpu ${f.cpuUsPerWindow.toFixed(1)} us/window)`;
    process.stdout.write(`${c.name} [${WINDOW}x${c.channels}] batch ${assets}: bare session.run ${fmt(b)} [runs: ${b1.windowsPerSec.toFixed(0)}, ${b2.windowsPerSec.toFixed(0)}]\n`
      + `  frames -> features -> inference -> health: ${fmt(fr)}, mean batch ${fr.meanBatch.toFixed(1)}, ratio ${(fr.windowsPerSec / b.windowsPerSec).toFixed(3)}, overhead ${overhead(fr).toFixed(1)} us/window\n`
      + `  samples -> (alignment) -> ... -> health:   ${fmt(sm)}, mean batch ${sm.meanBatch.toFixed(1)}, ratio ${(sm.windowsPerSec / b.windowsPerSec).toFixed(3)}, overhead ${overhead(sm).toFixed(1)} us/window\n`);
    out[c.name] = {
      bareWindowsPerSec: Math.round(b.windowsPerSec), bareP50Ms: round(b.p50Ms), bareP99Ms: round(b.p99Ms), bareCpuUsPerWindow: round(b.cpuUsPerWindow),
      framesWindowsPerSec: Math.round(fr.windowsPerSec), framesP50Ms: round(fr.p50Ms), framesP99Ms: round(fr.p99Ms), framesRatio: round(fr.windowsPerSec / b.windowsPerSec),
      framesCpuUsPerWindow: round(fr.cpuUsPerWindow), framesOverheadUsPerWindow: round(overhead(fr)),
      samplesWindowsPerSec: Math.round(sm.windowsPerSec), samplesP50Ms: round(sm.p50Ms), samplesP99Ms: round(sm.p99Ms), samplesRatio: round(sm.windowsPerSec / b.windowsPerSec),
      samplesCpuUsPerWindow: round(sm.cpuUsPerWindow), samplesOverheadUsPerWindow: round(overhead(sm)),
      meanBatch: round(fr.meanBatch),
    };
  }
  return out;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
