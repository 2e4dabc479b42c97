import { CELL_FILLED, CELL_GOOD, CELL_MISSING, type RawWindow } from '../../src/assets/frame';
import { WindowFeaturizer } from '../../src/assets/window-features';
import { channelFeatures } from '../../src/features/compute';

function win(values: number[], cells: number[], channels = ['a', 'b']): RawWindow {
  const frames = values.length / channels.length;
  return { start: 0, end: frames * 1000, frames, channels, ts: Float64Array.from({ length: frames }, (_, i) => i * 1000), values: Float64Array.from(values), cells: Uint8Array.from(cells) };
}

describe('WindowFeaturizer', () => {
  const values = [1.5, 10, -2, 20, 7.25, 30, 3, 40, 0.1, 50];

  it('reading a full window in place gives exactly what gathering each channel gives', () => {
    const f = new WindowFeaturizer(['mean', 'std', 'min', 'max', 'rms', 'p2p', 'crest', 'kurtosis', 'skewness', 'last'], [], 1000);
    const w = win(values, [CELL_GOOD, CELL_GOOD, CELL_GOOD, CELL_FILLED, CELL_GOOD, CELL_GOOD, CELL_GOOD, CELL_GOOD, CELL_GOOD, CELL_GOOD]);
    const inPlace = f.compute(w, true);
    const gathered = f.compute(w, false);
    expect(inPlace).toEqual(gathered);
    const a = Float64Array.of(1.5, -2, 7.25, 3, 0.1);
    expect(inPlace.features.a).toEqual(channelFeatures({ values: a, times: a, even: a, fs: 1 }, ['mean', 'std', 'min', 'max', 'rms', 'p2p', 'crest', 'kurtosis', 'skewness', 'last']));
    expect(Object.keys(inPlace.features)).toEqual(['a', 'b']);
  });

  it('missing cells stay out of the statistics; a channel with none present is listed, not featured', () => {
    const f = new WindowFeaturizer(['mean', 'max', 'slope'], [], 1000);
    const w = win(values, [CELL_GOOD, CELL_MISSING, CELL_MISSING, CELL_MISSING, CELL_GOOD, CELL_MISSING, CELL_GOOD, CELL_MISSING, CELL_GOOD, CELL_MISSING]);
    const out = f.compute(w);
    expect(out.missingChannels).toEqual(['b']);
    expect(Object.keys(out.features)).toEqual(['a']);
    expect(out.features.a.mean).toBeCloseTo((1.5 + 7.25 + 3 + 0.1) / 4, 12);
    expect(out.features.a.max).toBe(7.25);
    // slope over the present cells' times (0, 2, 3, 4 s)
    expect(out.features.a.slope).toBeCloseTo(channelFeatures({ values: Float64Array.of(1.5, 7.25, 3, 0.1), times: Float64Array.of(0, 2, 3, 4), even: new Float64Array(0), fs: 1 }, ['slope']).slope, 12);
  });

  it('channel names of any text key the features, in channel order (quotes, digits, __proto__)', () => {
    for (const channels of [['a"b\\', '1', 'x y'], ['__proto__', 'b']]) {
      const f = new WindowFeaturizer(['mean', 'last'], [], 1000);
      const w = win([1, 2, 3, 4, 5, 6].slice(0, 2 * channels.length), new Array(2 * channels.length).fill(CELL_GOOD), channels);
      const out = f.compute(w, true);
      const expected = channels.map((_, c) => ({ mean: (w.values[c] + w.values[channels.length + c]) / 2, last: w.values[channels.length + c] }));
      expect(Object.entries(out.features).map(([k, v]) => [k, { ...v }])).toEqual(channels.map((c, i) => [c, expected[i]]).sort((x, y) => (x[0] === '1' ? -1 : y[0] === '1' ? 1 : 0)));
    }
  });
});
