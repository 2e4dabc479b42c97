import { ColumnBatchBuilder } from '../../src/core/batch';
import type { Quality, Sample } from '../../src/core/sample';
import { Waveform } from '../../src/core/waveform';
import { AssetPipeline } from '../../src/assets/pipeline';
import { SampleRouter } from '../../src/assets/router';
import { silentLogger } from '../../src/observability/logger';
import { asset, harness, s } from './helpers';

const FS = 20_000;
const N = 2048;
/** 64 whole cycles in a block of 2048 at 20 kHz: the tone sits exactly on FFT bin 64. */
const F = (64 * FS) / N; // 625 Hz
const BANDS: [number, number][] = [[0, 1000], [1000, 5000], [5000, 10_001]];

/** A block of offset + a * sin(2 pi F t). */
function tone(a: number, offset = 0, n = N): Waveform {
  return new Waveform(Float64Array.from({ length: n }, (_, i) => offset + a * Math.sin((2 * Math.PI * F * i) / FS)));
}

function block(value: Sample['value'], ts: number, quality: Quality = 'good'): Sample {
  return s('plc/vib', value, ts, quality);
}

function vibAsset(gaps = { policy: 'skip' as const, minCoverage: 0.5 }) {
  return asset({
    tags: { temp: 'plc/temp', vib: 'plc/vib' },
    window: { type: 'time', size: 3000, frameMs: 1000 },
    gaps,
    features: ['mean', 'max', 'last'],
    waveforms: { vib: { sampleRateHz: FS, length: N, features: ['rms', 'p2p', 'crest', 'kurtosis', 'band_energy', 'dominant_freq', 'spectral_kurtosis'], bands: BANDS } },
  });
}

function expectNear(got: number | undefined, want: number, rel: number, what: string): void {
  if (got === undefined || !(Math.abs(got - want) <= rel * Math.max(Math.abs(want), 1))) throw new Error(`${what}: got ${got}, closed form ${want}`);
}

describe('waveform channels through the asset pipeline (closed forms)', () => {
  it('a pure tone block per frame: rms a/sqrt(2), p2p 2a, crest sqrt(2), kurtosis 1.5, all its energy a^2/2 in its band, dominant frequency F', () => {
    const h = harness(vibAsset());
    const amps = [1, 2, 4];
    for (let k = 0; k < 3; k++) h.push([s('plc/temp', 20 + k, k * 1000 + 10), block(tone(amps[k], 0.3), k * 1000 + 10)]);
    h.push([s('plc/temp', 30, 5000)]); // moves the watermark past the first window
    expect(h.windows).toHaveLength(1);
    const f = h.windows[0].features;
    // the grid: scalar channels, then vib's block features as channels <channel>.<feature>
    expect(Object.keys(f)).toEqual([
      'temp', 'vib.rms', 'vib.p2p', 'vib.crest', 'vib.kurtosis',
      'vib.band_energy_0_1000', 'vib.band_energy_1000_5000', 'vib.band_energy_5000_10001', 'vib.dominant_freq', 'vib.spectral_kurtosis',
    ]);
    const a = amps[2];
    expectNear(f['vib.rms'].last, Math.sqrt(0.09 + (a * a) / 2), 1e-12, 'rms of the last block (offset 0.3)');
    expectNear(f['vib.rms'].mean, amps.reduce((t, x) => t + Math.sqrt(0.09 + (x * x) / 2), 0) / 3, 1e-12, 'mean rms of the window');
    expectNear(f['vib.p2p'].last, 2 * a, 1e-12, 'p2p');
    expectNear(f['vib.crest'].last, (0.3 + a) / Math.sqrt(0.09 + (a * a) / 2), 1e-12, 'crest');
    expectNear(f['vib.kurtosis'].last, 1.5, 1e-12, 'kurtosis of a sine');
    // the mean (0.3) is removed before the spectrum: only the tone's variance a^2 / 2, all at F
    expectNear(f['vib.band_energy_0_1000'].last, (a * a) / 2, 1e-12, 'band energy around F');
    expectNear(f['vib.band_energy_1000_5000'].last, 0, 1e-12, 'band energy away from F');
    expectNear(f['vib.band_energy_5000_10001'].last, 0, 1e-12, 'band energy away from F');
    expect(f['vib.dominant_freq']).toMatchObject({ mean: F, max: F, last: F });
    expect(f['vib.spectral_kurtosis'].last).toBe(0); // one spectral line: no spread
    expect(f.temp).toEqual({ mean: 21, max: 22, last: 22 });
    expect(h.p.stats()).toMatchObject({ waveformBlocks: 3, waveformPoints: 3 * N, waveformBlocksNonFinite: 0, samples: 7, invalidSamples: 0 });
    expect(h.p.inputView().latest).toEqual({ temp: 30, vib: expect.any(Waveform) });
    expect(String(h.p.inputView().latest.vib)).toBe(`waveform[${N} rms ${Number(Math.sqrt(0.09 + 8).toPrecision(4))}]`);
  });

  it('a block with a NaN, a bad block, a wrong length, a wrong rate and a scalar: counted, reported, never a feature', () => {
    const h = harness(vibAsset());
    const nan = tone(1);
    nan.samples[100] = NaN;
    h.push([block(tone(1), 10)]);
    h.push([block(nan, 1010)]);
    h.push([block(tone(4), 2010)]);
    // after the first window: each kind of bad block once
    h.push([block(null, 3010, 'bad')]);
    h.push([block(tone(1, 0, N - 1), 3020)]);
    h.push([block(new Waveform(tone(1).samples, 10_000), 3030)]);
    h.push([block(0.5, 3040)]);
    h.push([block(tone(3), 4010)]);
    h.push([block(tone(2), 5010)]);
    h.push([s('plc/temp', 1, 9000)]);
    expect(h.windows.map((w) => w.start)).toEqual([0, 3000]);
    // window 1: the NaN block's frame holds no vib features; mean over the two good blocks
    const w0 = h.windows[0];
    expectNear(w0.features['vib.rms'].mean, (Math.SQRT1_2 + 4 * Math.SQRT1_2) / 2, 1e-12, 'mean rms without the NaN block');
    expect(w0.coverage).toBeCloseTo(2 / 3 * (9 / 10), 12); // temp missing everywhere, vib.* in 2 frames of 3
    expect(w0.missingChannels).toEqual(['temp']);
    // window 2: only the blocks at 4010 and 5010 made features
    expectNear(h.windows[1].features['vib.rms'].max, 3 * Math.SQRT1_2, 1e-12, 'max rms of window 2');
    expectNear(h.windows[1].features['vib.rms'].last, 2 * Math.SQRT1_2, 1e-12, 'last rms of window 2');
    expect(h.p.stats()).toMatchObject({
      waveformBlocks: 4, waveformBlocksNonFinite: 1, waveformBlocksBad: 1, waveformBlocksWrongLength: 1,
      waveformBlocksWrongRate: 1, waveformBlocksNotWaveform: 1, waveformFeaturesNonFinite: 0, badSamples: 1, samples: 10,
    });
  });

  it('uncertain blocks count as uncertain frames; a huge block whose features overflow is dropped and counted', () => {
    const h = harness(vibAsset({ policy: 'degraded' as never, minCoverage: 0.5 }));
    h.push([s('plc/temp', 1, 10), block(tone(1), 10, 'uncertain')]);
    h.push([s('plc/temp', 1, 1010), block(tone(1e200), 1010)]);
    h.push([s('plc/temp', 1, 2010), block(tone(1), 2010)]);
    h.push([s('plc/temp', 1, 5000)]);
    expect(h.windows).toHaveLength(1);
    expect(h.windows[0].quality).toBe('degraded');
    expect(h.p.stats()).toMatchObject({ waveformBlocks: 2, waveformFeaturesNonFinite: 1 });
    expectNear(h.windows[0].features['vib.rms'].last, Math.SQRT1_2, 1e-12, 'rms');
  });

  it('a block stamped after its frame closed is late, one stamped far ahead of receipt is refused: counted once per block', () => {
    const h = harness(vibAsset());
    h.push([block(tone(1), 10)]);
    h.push([block(tone(1), 5010)]); // frames up to 4000 close
    h.push([block(tone(2), 1010)]); // its frame is closed
    h.push([{ ...block(tone(2), 10_000_000), receivedTs: 6000 }]); // device clock far ahead
    expect(h.p.stats()).toMatchObject({ waveformBlocks: 3, lateSamples: 1, futureSamples: 1 });
  });

  it('a column batch carrying a number for the waveform tag: counted as not a block, the scalar beside it still delivered', () => {
    const h = harness(vibAsset({ policy: 'skip', minCoverage: 0.05 }));
    const router = new SampleRouter([h.p]);
    const layout = { tags: ['plc/temp', 'plc/vib'] };
    for (let k = 0; k < 6; k++) {
      const b = new ColumnBatchBuilder(layout, 2, false);
      b.value(0, 10 + k, k * 1000, k * 1000);
      b.value(1, 0.25, k * 1000, k * 1000);
      router.routeColumns(b);
    }
    expect(h.windows).toHaveLength(1);
    expect(h.windows[0].features.temp).toEqual({ mean: 11, max: 12, last: 12 });
    expect(h.windows[0].missingChannels).toContain('vib.rms');
    expect(h.p.stats()).toMatchObject({ waveformBlocksNotWaveform: 6, waveformBlocks: 0, samples: 12 });
  });

  it('a block on a channel not declared a waveform is invalid, and the message says how to declare it', () => {
    const h = harness(asset({ tags: { vib: 'plc/vib' }, window: { type: 'time', size: 3000, frameMs: 1000 } }));
    const warnings: string[] = [];
    (h.p as unknown as { log: { warn: (m: string) => void } }).log.warn = (m) => warnings.push(m);
    h.push([block(tone(1), 10)]);
    expect(h.p.stats()).toMatchObject({ invalidSamples: 1, waveformBlocks: 0 });
    expect(warnings[0]).toContain('a waveform block: declare the channel under waveforms');
  });
  it('channelInfo lists the input channels with their own tags and units, not the feature grid', () => {
    const p = new AssetPipeline({ config: vibAsset(), logger: silentLogger(), channelUnits: { temp: 'degC', vib: 'g' } });
    expect(p.channelInfo()).toEqual([{ name: 'temp', tag: 'plc/temp', units: 'degC' }, { name: 'vib', tag: 'plc/vib', units: 'g' }]);
    expect(p.channelUnits).toEqual({ temp: 'degC', vib: 'g' });
  });
});
