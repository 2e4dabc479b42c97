import { assetConfig } from '../../src/assets/config';
import { CELL_FILLED, CELL_GOOD, CELL_MISSING } from '../../src/assets/frame';
import type { AnalyzedWindow } from '../../src/assets/types';
import { assemble, planInput } from '../../src/models/input-assembly';
import { modelManifest } from '../../src/models/manifest';

const asset = assetConfig.parse({ id: 'p', tags: { a: 's/a', b: 's/b', c: 's/c' }, window: { type: 'count', size: 3, frameMs: 1000 } });

function window(values: number[], cells: number[]): AnalyzedWindow {
  const coverage = cells.filter((c) => c !== CELL_MISSING).length / cells.length;
  return {
    raw: { start: 0, end: 3000, frames: 3, channels: ['a', 'b', 'c'], ts: Float64Array.of(0, 1000, 2000), values: Float64Array.from(values), cells: Uint8Array.from(cells) },
    result: { asset: 'p', seq: 0, start: 0, end: 3000, frames: 3, quality: coverage === 1 ? 'good' : 'degraded', coverage, features: {}, missingChannels: [] },
  };
}

const manifest = modelManifest.parse({
  id: 'm', version: '1.0.0', kind: 'anomaly', sha256: '0'.repeat(64),
  inputs: [{ name: 'x', layout: 'frames', shape: [-1, 3, 2], channels: ['c', 'a'], frames: 3, normalization: { type: 'zscore', mean: [10, 0], std: [2, 0] } }],
  outputs: [{ name: 'score', meaning: 'anomaly-score' }],
});
const plan = planInput('m@1.0.0', manifest.inputs[0], asset);

describe('input assembly (frames layout)', () => {
  it('writes the model channels row by row, normalized, at the offset asked for', () => {
    // rows [a, b, c]: (1, 0, 12), (2, 0, 14), (3, 0, 16)
    const w = window([1, 0, 12, 2, 0, 14, 3, 0, 16], new Array(9).fill(CELL_GOOD));
    const out = new Float32Array(8).fill(-1);
    assemble('m@1.0.0', plan, w, out, 2);
    // c -> (c - 10) / 2; a: std 0 passes the deviation through unscaled
    expect(Array.from(out)).toEqual([-1, -1, 1, 1, 2, 2, 3, 3]);
  });

  it('a model reading every channel in the asset order gets the rows as they are, normalized (and the same as through the general path)', () => {
    const all = modelManifest.parse({ ...manifest, inputs: [{ name: 'x', layout: 'frames', shape: [-1, 3, 3], channels: ['a', 'b', 'c'], frames: 3, normalization: { type: 'zscore', mean: [1, 0, 10], std: [1, 4, 2] } }] });
    const p = planInput('m@1.0.0', all.inputs[0], asset);
    expect(p.sameOrder).toBe(true);
    expect(plan.sameOrder).toBe(false);
    const w = window([1, 4, 12, 2, -8, 14, 3.5, 0, 16], new Array(9).fill(CELL_GOOD));
    const out = new Float32Array(10).fill(-1);
    assemble('m@1.0.0', p, w, out, 1);
    expect(Array.from(out)).toEqual([-1, 0, 1, 1, 1, -2, 2, 2.5, 0, 3]);
    // a filled cell is a value like any other (coverage 1)
    const general = new Float32Array(10).fill(-1);
    assemble('m@1.0.0', { ...p, sameOrder: false }, w, general, 1);
    expect(general).toEqual(out);
  });

  it('a missing cell takes its channel mean over the present ones (filled cells count as present)', () => {
    const w = window([1, 0, 12, NaN, 0, NaN, 7, 0, 16], [CELL_GOOD, CELL_GOOD, CELL_FILLED, CELL_MISSING, CELL_GOOD, CELL_MISSING, CELL_GOOD, CELL_GOOD, CELL_GOOD]);
    const out = new Float32Array(6);
    assemble('m@1.0.0', plan, w, out, 0);
    // c mean of 12, 16 = 14 -> 2; a mean of 1, 7 = 4
    expect(Array.from(out)).toEqual([1, 1, 2, 4, 3, 7]);
  });

  it('a model channel with no value in the window is an error naming the model, the channel and the window', () => {
    const w = window([1, 0, NaN, 2, 0, NaN, 3, 0, NaN], [CELL_GOOD, CELL_GOOD, CELL_MISSING, CELL_GOOD, CELL_GOOD, CELL_MISSING, CELL_GOOD, CELL_GOOD, CELL_MISSING]);
    expect(() => assemble('m@1.0.0', plan, w, new Float32Array(6), 0)).toThrow("model m@1.0.0: input 'x': channel c has no usable value in window 1970-01-01T00:00:00.000Z of asset p");
  });
});
