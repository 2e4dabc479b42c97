/**
 * `npm run bench -- inference [--assets 64] [--rounds 150] [--warmup 20] [--model dcnn|ae|both]`
 *
 * The whole analytics path (samples -> aligned frames -> count window -> features -> batched
 * onnxruntime inference -> health state) for `assets` assets sharing one model, against a bare
 * onnxruntime-node `session.run` loop on the same model at the same batch (= assets), in the same
 * run. Each round every asset receives one window's worth of samples (30 frames x channels), so a
 * round is one batch of `assets` windows. Figures: windows/s, per-window latency p50/p99 (push of
 * the round -> window event; bare: run latency), ratio ours/bare.
 */
import * as ort from 'onnxruntime-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assetConfig, type AssetConfig } from '../src/assets/config';
import { AssetPipeline } from '../src/assets/pipeline';
import type { Sample } from '../src/core/sample';
import { OnnxGraphBuilder, intsAttr } from '../src/ml/onnx';
import { modelsConfig } from '../src/models/config';
import { ModelService } from '../src/models/service';
import { generateSigningKey, readPrivateKey, signManifest } from '../src/models/signing';
import { silentLogger } from '../src/observability/logger';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';

const WINDOW = 30;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

function weights(r: () => number, n: number, fanIn: number): Float32Array {
  const k = Math.sqrt(2 / fanIn);
  return Float32Array.from({ length: n }, () => 2 * r() * k);
}

/** The C-MAPSS RUL teacher shape (Li et al. DCNN): 3 x Conv(12, k10) + Conv(1, k3) over [30, 14], dense 64, 1. */
function dcnn(channels: number): { bytes: Uint8Array; output: string; meaning: 'rul' | 'reconstruction' } {
  const r = rng(7);
  const g = new OnnxGraphBuilder('dcnn');
  g.input('x', [-1, WINDOW, channels]);
  let h = g.op('Transpose', ['x'], { perm: intsAttr([0, 2, 1]) });
  let c = channels;
  let t = WINDOW;
  for (const [filters, kernel] of [[12, 10], [12, 10], [12, 10], [1, 3]]) {
    const w = g.initializer(g.unique('w'), weights(r, filters * c * kernel, c * kernel), [filters, c, kernel]);
    const b = g.floats('b', new Float32Array(filters));
    h = g.op('Relu', [g.op('Conv', [h, w, b], { pads: intsAttr([Math.floor((kernel - 1) / 2), Math.ceil((kernel - 1) / 2)]) })]);
    c = filters;
  }
  h = g.op('Flatten', [h]);
  const w1 = g.initializer('w_d1', weights(r, t * 64, t), [t, 64]);
  h = g.op('Relu', [g.op('Gemm', [h, w1, g.floats('b_d1', new Float32Array(64))])]);
  const w2 = g.initializer('w_d2', weights(r, 64, 64), [64, 1]);
  g.node('Gemm', [h, w2, g.floats('b_d2', [100])], ['rul']);
  g.output('rul', [-1, 1]);
  t = 0;
  return { bytes: g.toModelBytes({ opset: 17 }), output: 'rul', meaning: 'rul' };
}

/** The SKAB autoencoder shape: flatten [30, 8] -> 64 -> 12 (tanh) -> 64 -> 240, reshaped back. */
function autoencoder(channels: number): { bytes: Uint8Array; output: string; meaning: 'rul' | 'reconstruction' } {
  const r = rng(11);
  const g = new OnnxGraphBuilder('ae');
  g.input('x', [-1, WINDOW, channels]);
  let h = g.op('Flatten', ['x']);
  const n = WINDOW * channels;
  for (const [i, [from, to, act]] of ([[n, 64, 'Relu'], [64, 12, 'Tanh'], [12, 64, 'Relu'], [64, n, '']] as const).entries()) {
    const w = g.initializer(`w${i}`, weights(r, from * to, from), [from, to]);
    h = g.op('Gemm', [h, w, g.floats(`b${i}`, new Float32Array(to))]);
    if (act) h = g.op(act, [h]);
  }
  g.node('Reshape', [h, g.int64s('shape', [-1, WINDOW, channels])], ['recon']);
  g.output('recon', [-1, WINDOW, channels]);
  return { bytes: g.toModelBytes({ opset: 17 }), output: 'recon', meaning: 'reconstruction' };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

interface Figures {
  windowsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

async function bare(bytes: Uint8Array, batch: number, channels: number, rounds: number, warmup: number): Promise<Figures> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  const r = rng(3);
  const x = Float32Array.from({ length: batch * WINDOW * channels }, r);
  const lat: number[] = [];
  let total = 0;
  for (let i = 0; i < warmup + rounds; i++) {
    // A fresh tensor per run, as the pipeline builds one per batch.
    const feeds = { x: new ort.Tensor('float32', x, [batch, WINDOW, channels]) };
    const t0 = performance.now();
    await s.run(feeds);
    const dt = performance.now() - t0;
    if (i >= warmup) {
      total += dt;
      for (let k = 0; k < batch; k++) lat.push(dt);
    }
  }
  await s.release();
  lat.sort((a, b) => a - b);
  return { windowsPerSec: (batch * rounds) / (total / 1000), p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99) };
}

type Feed = 'frames' | 'samples';

async function ours(feed: Feed, model: ReturnType<typeof dcnn>, id: string, kind: 'rul' | 'anomaly', assets: number, channels: number, rounds: number, warmup: number): Promise<Figures & { meanBatch: number }> {
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
    const frameIndexes = (k: number): number[] => Array.from({ length: k === 0 ? WINDOW + 1 : WINDOW }, (_, i) => (k === 0 ? i : WINDOW * k + 1 + i));
    const roundSamples = (k: number): Sample[][] => configs.map((cfg, a) => {
      const out: Sample[] = [];
      const tags = Object.values(cfg.tags);
      for (const f of frameIndexes(k)) for (const tag of tags) out.push({ tag, value: r() + a * 0.001, sourceTs: f * 1000, receivedTs: f * 1000, quality: 'good' });
      return out;
    });
    const roundFrames = (k: number): [number, Float64Array][][] => configs.map(() => frameIndexes(k).map((f) => [f * 1000, Float64Array.from({ length: channels }, r)]));
    let total = 0;
    for (let k = 0; k < warmup + rounds; k++) {
      const samples = feed === 'samples' ? roundSamples(k) : [];
      const frames = feed === 'frames' ? roundFrames(k) : [];
      target = assets * (k + 1);
      measuring = k >= warmup;
      const done = new Promise<void>((res) => { waiter = res; });
      t0 = performance.now();
      if (feed === 'samples') pipes.forEach((p, a) => p.push(samples[a]));
      else pipes.forEach((p, a) => { for (const [ts, row] of frames[a]) p.pushFrame(ts, row); });
      await done;
      if (measuring) total += performance.now() - t0;
    }
    const st = svc.stats();
    await Promise.all(pipes.map((p) => p.stop()));
    await svc.stop();
    lat.sort((a, b) => a - b);
    return { windowsPerSec: (assets * rounds) / (total / 1000), p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99), meanBatch: st.meanBatch };
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
    const b = { windowsPerSec: (b1.windowsPerSec + b2.windowsPerSec) / 2, p50Ms: (b1.p50Ms + b2.p50Ms) / 2, p99Ms: (b1.p99Ms + b2.p99Ms) / 2 };
    const fmt = (f: Figures): string => `${f.windowsPerSec.toFixed(0)} windows/s (p50 ${f.p50Ms.toFixed(2)} ms, p99 ${f.p99Ms.toFixed(2)} ms)`;
    process.stdout.write(`${c.name} [${WINDOW}x${c.channels}] batch ${assets}: bare session.run ${fmt(b)} [runs: ${b1.windowsPerSec.toFixed(0)}, ${b2.windowsPerSec.toFixed(0)}]\n`
      + `  frames -> features -> inference -> health: ${fmt(fr)}, mean batch ${fr.meanBatch.toFixed(1)}, ratio ${(fr.windowsPerSec / b.windowsPerSec).toFixed(3)}\n`
      + `  samples -> (alignment) -> ... -> health:   ${fmt(sm)}, mean batch ${sm.meanBatch.toFixed(1)}, ratio ${(sm.windowsPerSec / b.windowsPerSec).toFixed(3)}\n`);
    out[c.name] = {
      bareWindowsPerSec: Math.round(b.windowsPerSec), bareP50Ms: round(b.p50Ms), bareP99Ms: round(b.p99Ms),
      framesWindowsPerSec: Math.round(fr.windowsPerSec), framesP50Ms: round(fr.p50Ms), framesP99Ms: round(fr.p99Ms), framesRatio: round(fr.windowsPerSec / b.windowsPerSec),
      samplesWindowsPerSec: Math.round(sm.windowsPerSec), samplesP50Ms: round(sm.p50Ms), samplesP99Ms: round(sm.p99Ms), samplesRatio: round(sm.windowsPerSec / b.windowsPerSec),
      meanBatch: round(fr.meanBatch),
    };
  }
  return out;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
