import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetConfig } from '../../src/assets/config';
import { AssetPipeline } from '../../src/assets/pipeline';
import { SampleRouter } from '../../src/assets/router';
import type { WindowResult } from '../../src/assets/types';
import { ManualClock } from '../../src/core/clock';
import { Waveform } from '../../src/core/waveform';
import { channelFeatures, type FeatureName } from '../../src/features/compute';
import { silentLogger } from '../../src/observability/logger';
import { requireCommand } from '../helpers/peers';
import { describeWithData } from '../helpers/shared-data';

const FS = 20_000;
const BANDS: [number, number][] = [[0, 1000], [1000, 5000], [5000, 10_001]];
const NAMES: FeatureName[] = ['mean', 'std', 'rms', 'min', 'max', 'p2p', 'crest', 'kurtosis', 'skewness', 'slope', 'band_energy', 'dominant_freq', 'spectral_kurtosis'];

/**
 * The same definitions written with numpy (Debian python3-numpy), computed independently:
 * population moments, polyfit slope, rfft of the mean-removed signal zero-padded to a power of two.
 */
const NUMPY = `
import json, sys
import numpy as np
fs = ${FS}
bands = ${JSON.stringify(BANDS)}
x_all = np.loadtxt(sys.argv[1])
out = []
for c in range(x_all.shape[1]):
    x = x_all[:, c]
    n = len(x)
    d = x - x.mean()
    m2 = np.mean(d**2); m3 = np.mean(d**3); m4 = np.mean(d**4)
    rms = np.sqrt(np.mean(x**2))
    t = np.arange(n) / fs
    nfft = 1 << int(np.ceil(np.log2(n)))
    X = np.fft.rfft(d, nfft)
    P = np.abs(X)**2 / (n * nfft)
    P[1:-1] *= 2
    f = np.arange(len(P)) * fs / nfft
    mu = np.sum(f * P) / np.sum(P)
    var = np.sum((f - mu)**2 * P) / np.sum(P)
    feats = {
        'mean': x.mean(), 'std': x.std(), 'rms': rms, 'min': x.min(), 'max': x.max(), 'p2p': np.ptp(x),
        'crest': np.max(np.abs(x)) / rms, 'kurtosis': m4 / m2**2, 'skewness': m3 / m2**1.5,
        'slope': np.polyfit(t, x, 1)[0],
        'dominant_freq': f[1:][np.argmax(P[1:])],
        'spectral_kurtosis': np.sum((f - mu)**4 * P) / np.sum(P) / var**2,
    }
    for lo, hi in bands:
        feats['band_energy_%d_%d' % (lo, hi)] = np.sum(P[(f >= lo) & (f < hi)])
    out.append({k: float(v) for k, v in feats.items()})
print(json.dumps(out))
`;

/** Each relative difference within 1e-9, else an error naming the snapshot, channel and feature. */
function expectNumpy(got: Record<string, number>, want: Record<string, number>, what: string): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [k, w] of Object.entries(want)) {
    const err = Math.abs(got[k] - w) / Math.max(Math.abs(w), 1e-12);
    if (!(err <= 1e-9)) throw new Error(`${what} ${k}: ours ${got[k]}, numpy ${w}, relative error ${err}`);
  }
}

describeWithData('ims_bearing/raw_1st_test', 'features against numpy on IMS bearing vibration snapshots (20 kHz, 8 channels)', (dir) => {
  const python = requireCommand('/usr/bin/python3', 'python3-numpy');
  const files = readdirSync(dir).sort();
  // numpy's features and the samples of each snapshot, read once for both ways of computing ours
  const cache = new Map<string, { expected: Record<string, number>[]; rows: number[][] }>();
  const snapshot = (file: string): { expected: Record<string, number>[]; rows: number[][] } => {
    let c = cache.get(file);
    if (!c) {
      const path = join(dir, file);
      const r = spawnSync(python, ['-c', NUMPY, path], { encoding: 'utf8', maxBuffer: 16 << 20 });
      expect(r.stderr).toBe('');
      c = { expected: JSON.parse(r.stdout) as Record<string, number>[], rows: readFileSync(path, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number)) };
      cache.set(file, c);
    }
    return c;
  };

  it('finds the four snapshots', () => {
    expect(files).toHaveLength(4);
  });

  it.each(files)('snapshot %s: every feature of every channel within 1e-9 relative', (file) => {
    const { expected, rows } = snapshot(file);
    expect(rows).toHaveLength(20_480);
    expect(expected).toHaveLength(8);
    for (let c = 0; c < 8; c++) {
      const x = Float64Array.from(rows, (row) => row[c]);
      const t = Float64Array.from(x, (_, i) => i / FS);
      expectNumpy(channelFeatures({ values: x, times: t, even: x, fs: FS }, NAMES, BANDS), expected[c], `${file} channel ${c}`);
    }
  });

  it('the snapshots as waveform blocks through the asset pipeline: each block\'s features (window channels <channel>.<feature>) match numpy', () => {
    const channels = Array.from({ length: 8 }, (_, c) => `b${(c >> 1) + 1}${c & 1 ? 'y' : 'x'}`);
    const waveform = { sampleRateHz: FS, length: 20_480, features: NAMES, bands: BANDS };
    const cfg = assetConfig.parse({
      id: 'ims',
      tags: Object.fromEntries(channels.map((ch, c) => [ch, `daq/ch${c}`])),
      waveforms: Object.fromEntries(channels.map((ch) => [ch, waveform])),
      window: { type: 'count', size: 1, frameMs: 1000 },
      features: ['last'],
    });
    const clock = new ManualClock(0);
    const p = new AssetPipeline({ config: cfg, logger: silentLogger(), clock });
    const windows: WindowResult[] = [];
    p.on('window', (w) => windows.push(w));
    const router = new SampleRouter([p]);
    // one snapshot a second, as a DAQ publishing an acquisition per channel would
    files.forEach((file, k) => {
      const { rows } = snapshot(file);
      router.push(channels.map((_, c) => ({ tag: `daq/ch${c}`, value: new Waveform(Float64Array.from(rows, (row) => row[c])), sourceTs: k * 1000, receivedTs: k * 1000, quality: 'good' as const })));
    });
    clock.advance(60_000);
    p.tick(); // the sources went quiet: the last frame closes
    expect(windows).toHaveLength(files.length);
    expect(p.stats()).toMatchObject({ waveformBlocks: 8 * files.length, waveformPoints: 8 * 20_480 * files.length, waveformBlocksNonFinite: 0 });
    windows.forEach((w, k) => {
      const { expected } = snapshot(files[k]);
      channels.forEach((ch, c) => {
        const got: Record<string, number> = {};
        for (const key of Object.keys(expected[c])) got[key] = w.features[`${ch}.${key}`]?.last;
        expectNumpy(got, expected[c], `${files[k]} via the pipeline, channel ${ch}`);
      });
    });
  });
});
