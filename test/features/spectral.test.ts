import { bandEnergy, dominantFrequency, nextPow2, powerSpectrum, spectralKurtosis } from '../../src/features/spectral';
import { channelFeatures } from '../../src/features/compute';

const fs = 1024;
const tone = (n: number, f: number, a: number, dc = 0): Float64Array => Float64Array.from({ length: n }, (_, i) => dc + a * Math.sin((2 * Math.PI * f * i) / fs));

describe('spectral features against closed forms', () => {
  it('Parseval: total power equals the variance, also with zero padding', () => {
    const x = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i * 0.1) + 0.3 * Math.cos(i * 0.77) + 5);
    const s = powerSpectrum(x, 100);
    const total = s.power.reduce((a, b) => a + b, 0);
    const mu = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mu) ** 2, 0) / x.length;
    expect(s.freqs.length).toBe(nextPow2(1000) / 2 + 1);
    expect(total).toBeCloseTo(variance, 10);
  });

  it('bin-centred tone: all energy A^2/2 at f0, dominant frequency f0, DC removed', () => {
    const s = powerSpectrum(tone(1024, 64, 2, 7), fs);
    expect(dominantFrequency(s)).toBe(64);
    expect(bandEnergy(s, 60, 70)).toBeCloseTo(2, 10);
    expect(bandEnergy(s, 0, 60)).toBeCloseTo(0, 10);
    expect(bandEnergy(s, 70, 513)).toBeCloseTo(0, 10);
    expect(s.power[0]).toBeCloseTo(0, 12);
  });

  it('two tones: band energies split as A1^2/2 and A2^2/2; the larger tone dominates', () => {
    const x = tone(2048, 50, 1);
    const y = tone(2048, 200, 3);
    const s = powerSpectrum(x.map((v, i) => v + y[i]), fs);
    expect(bandEnergy(s, 40, 60)).toBeCloseTo(0.5, 10);
    expect(bandEnergy(s, 190, 210)).toBeCloseTo(4.5, 10);
    expect(dominantFrequency(s)).toBe(200);
  });

  it('spectral kurtosis: one tone gives a single line (0 spread -> 0); two equal tones give 1; white-ish noise is flatter than a tone pair', () => {
    expect(spectralKurtosis(powerSpectrum(tone(1024, 100, 1), fs))).toBe(0);
    const pair = tone(1024, 100, 1).map((v, i) => v + Math.sin((2 * Math.PI * 300 * i) / fs));
    expect(spectralKurtosis(powerSpectrum(pair, fs))).toBeCloseTo(1, 10);
    let seed = 1;
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
    const noise = Float64Array.from({ length: 4096 }, rnd);
    // a flat spectrum on [0, fs/2] is a uniform distribution of frequency: kurtosis 1.8
    expect(spectralKurtosis(powerSpectrum(noise, fs))).toBeGreaterThan(1.6);
    expect(spectralKurtosis(powerSpectrum(noise, fs))).toBeLessThan(2.0);
  });

  it('channelFeatures names band energies band_energy_<lo>_<hi> and returns only what was asked', () => {
    const x = tone(1024, 64, 2);
    const f = channelFeatures({ values: x, times: x.map((_, i) => i / fs), even: x, fs }, ['rms', 'band_energy', 'dominant_freq'], [[0, 100], [100, 512]]);
    expect(Object.keys(f).sort()).toEqual(['band_energy_0_100', 'band_energy_100_512', 'dominant_freq', 'rms']);
    expect(f.band_energy_0_100).toBeCloseTo(2, 10);
    expect(f.rms).toBeCloseTo(Math.SQRT2, 10);
    expect(f.dominant_freq).toBe(64);
  });

  it('too short a series has an empty spectrum and zero features instead of NaN', () => {
    const s = powerSpectrum(Float64Array.of(1), 10);
    expect(s.power.length).toBe(0);
    expect(dominantFrequency(s)).toBe(0);
    expect(spectralKurtosis(s)).toBe(0);
  });
});
