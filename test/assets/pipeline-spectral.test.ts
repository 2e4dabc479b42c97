import { asset, harness, s } from './helpers';
import type { Sample } from '../../src/core/sample';

/**
 * The spectral path inside the pipeline: the even series of a channel (its missing cells filled
 * with the mean of the present ones) at fs = 1000 / frameMs. A 12.5 Hz tone sampled at 100 Hz
 * (frameMs 10) over 64 frames sits exactly on FFT bin 8 (64 = nfft, no padding), so the band
 * energies have closed forms even with one cell missing.
 */
describe('pipeline: spectral features of a window', () => {
  it('a 12.5 Hz tone with one missing cell: dominant_freq, band energies in closed form', () => {
    const A = 2;
    const cfg = asset({
      tags: { v: 'src/v', c: 'src/c' },
      window: { type: 'count', size: 64, frameMs: 10, latenessMs: 0 },
      gaps: { policy: 'skip', minCoverage: 0.9 }, // no forward fill: the cell stays missing
      features: ['mean', 'band_energy', 'dominant_freq'],
      spectral: { bands: [[12, 13], [0, 51]] },
    });
    const h = harness(cfg);
    const tone = (i: number) => A * Math.sin((2 * Math.PI * 12.5 * i) / 100); // = A sin(pi i / 4)
    const batch: Sample[] = [];
    for (let i = 0; i < 65; i++) {
      if (i !== 2) batch.push(s('src/v', tone(i), i * 10)); // frame 2 of v is missing (x_2 = A)
      batch.push(s('src/c', 1, i * 10));
    }
    h.push(batch); // frame 64 opens the next window and closes this one
    expect(h.windows).toHaveLength(1);
    const w = h.windows[0];
    expect(w.coverage).toBeCloseTo(127 / 128, 12);
    const v = w.features.v;
    // present values sum to -x_2 = -A, so the fill (and the filled series' mean) is mu = -A/63
    expect(v.mean).toBeCloseTo(-A / 63, 12);
    expect(v.dominant_freq).toBe(12.5);
    // whole band = variance of the filled series (Parseval) = A^2/2 - x_2^2/63
    expect(v['band_energy_0_51']).toBeCloseTo(A * A / 2 - (A * A) / 63, 12);
    // bin 8 alone: X[8] = i A (1/63 - 31) (the tone's -32 A i plus the missing cell's impulse), P = 2 |X|^2 / (64 * 64)
    expect(v['band_energy_12_13']).toBeCloseTo((2 * A * A * (31 - 1 / 63) ** 2) / 4096, 12);
    // the constant channel has no spectrum
    expect(w.features.c).toEqual({ mean: 1, band_energy_12_13: 0, band_energy_0_51: 0, dominant_freq: 0 });
  });
});
