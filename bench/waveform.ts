/**
 * `npm run bench -- waveform [--points 20480] [--blocks 300]`
 *
 * Cost of one waveform block (a vibration acquisition, 20,480 points at 20 kHz by default) on the
 * gateway's path: the OPC-UA array -> Waveform copy (numericArrayToWaveform), the block's features
 * (WaveformChannel.analyse: every feature, three bands) and the whole asset pipeline (accept: the
 * block's features into the frame grid, windows of 10 blocks). The raw-library floor in the same
 * run: fft.js's realTransform at the same FFT size (the next power of two) on a prepared input.
 */
import FFT from 'fft.js';
import { DataType, Variant, VariantArrayType } from 'node-opcua';
import { assetConfig } from '../src/assets/config';
import { AssetPipeline } from '../src/assets/pipeline';
import { WaveformChannel } from '../src/assets/waveform-channel';
import { ManualClock } from '../src/core/clock';
import { Waveform } from '../src/core/waveform';
import { FEATURE_NAMES } from '../src/features/compute';
import { nextPow2 } from '../src/features/spectral';
import { silentLogger } from '../src/observability/logger';
import { numericArrayToWaveform } from '../src/sources/opcua/waveform-value';

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

/**
 * Wall-clock median of `reps` timed calls of fn and the process CPU time per call (ms), after
 * `warm` untimed ones. On a shared machine the CPU time is the steadier figure: the wall clock
 * also counts the time other processes hold the core.
 */
function time(reps: number, warm: number, fn: (k: number) => void): { p50: number; cpu: number } {
  for (let k = 0; k < warm; k++) fn(k);
  const t: number[] = [];
  const c0 = process.cpuUsage();
  for (let k = 0; k < reps; k++) {
    const t0 = process.hrtime.bigint();
    fn(k);
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const c = process.cpuUsage(c0);
  t.sort((a, b) => a - b);
  return { p50: t[t.length >> 1], cpu: (c.user + c.system) / 1000 / reps };
}

const round = (x: number): number => Number(x.toPrecision(3));

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const n = arg(args, 'points', 20_480);
  const reps = arg(args, 'blocks', 300);
  const fs = 20_000;
  const features = FEATURE_NAMES.filter((f) => f !== 'last');
  const bands: [number, number][] = [[0, 1000], [1000, 5000], [5000, 10_001]];
  // a few blocks of tone + noise, rotated so no call sees the same array twice in a row
  const blocks = Array.from({ length: 4 }, (_, b) => Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * (100 + 37 * b) * i) / fs) + 0.3 * Math.sin(i * 1.7 + b)));

  const nfft = nextPow2(n);
  const fft = new FFT(nfft);
  const out = fft.createComplexArray() as number[];
  const input = new Array<number>(nfft).fill(0);
  for (let i = 0; i < n; i++) input[i] = blocks[0][i];
  const raw = time(reps, 20, () => fft.realTransform(out, input));

  const variant = new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: blocks[0] });
  const copy = time(reps, 20, () => numericArrayToWaveform(variant));

  const wave = { sampleRateHz: fs, length: n, features, bands };
  const ch = new WaveformChannel('vib', 'daq/vib', 0, assetConfig.parse({ id: 'a', tags: { vib: 'daq/vib' }, window: { size: 10, type: 'count' }, waveforms: { vib: wave } }).waveforms.vib);
  const samples = blocks.map((x) => ({ tag: 'daq/vib', value: new Waveform(x), sourceTs: 0, receivedTs: 0, quality: 'good' as const }));
  const analyse = time(reps, 20, (k) => {
    if (ch.analyse(samples[k & 3]) !== undefined) throw new Error('block refused');
  });

  const clock = new ManualClock(0);
  const p = new AssetPipeline({
    config: assetConfig.parse({ id: 'a', tags: { vib: 'daq/vib' }, window: { type: 'count', size: 10, frameMs: 1000 }, features: ['mean', 'max', 'last'], waveforms: { vib: wave } }),
    logger: silentLogger(),
    clock,
  });
  let windows = 0;
  p.on('window', () => windows++);
  const pipeline = time(reps, 20, (k) => {
    p.accept(0, { tag: 'daq/vib', value: new Waveform(blocks[k & 3]), sourceTs: k * 1000, receivedTs: k * 1000, quality: 'good' });
    p.endBatch();
  });
  if (windows < Math.floor(reps / 10) - 2) throw new Error(`only ${windows} windows for ${reps + 20} blocks`);

  process.stdout.write(`block of ${n} points (FFT ${nfft}), ${features.length} features + ${bands.length} bands; ${reps} blocks each\n`);
  return {
    points: n, nfft, blocks: reps,
    rawFftMsP50: round(raw.p50), rawFftCpuMs: round(raw.cpu), opcuaCopyMsP50: round(copy.p50), opcuaCopyCpuMs: round(copy.cpu),
    analyseMsP50: round(analyse.p50), analyseCpuMs: round(analyse.cpu), pipelineMsP50: round(pipeline.p50), pipelineCpuMs: round(pipeline.cpu), windows,
    analyseOverRawFftCpu: round(analyse.cpu / raw.cpu), pipelineOverRawFftCpu: round(pipeline.cpu / raw.cpu),
  };
}
