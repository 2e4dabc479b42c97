import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CELL_GOOD, CELL_MISSING, type RawWindow } from '../../src/assets/frame';
import { BaselineCalibrator, CalibratingError, baselinePath } from '../../src/models/baseline';

const CH = ['a', 'b'];

/** A window of `n` frames from frame index `from` (1 s apart); channel a = i, b = 10 + 2i; frame `missingB` has no b. */
function win(from: number, n: number, missingB = -1): RawWindow {
  const ts = new Float64Array(n);
  const values = new Float64Array(n * 2);
  const cells = new Uint8Array(n * 2).fill(CELL_GOOD);
  for (let k = 0; k < n; k++) {
    const i = from + k;
    ts[k] = 1_000_000 + i * 1000;
    values[k * 2] = i;
    values[k * 2 + 1] = i === missingB ? NaN : 10 + 2 * i;
    if (i === missingB) cells[k * 2 + 1] = CELL_MISSING;
  }
  return { start: ts[0]!, end: ts[n - 1]! + 1000, frames: n, channels: CH, ts, values, cells };
}

const meanStd = (xs: number[]) => {
  const m = xs.reduce((p, x) => p + x, 0) / xs.length;
  return [m, Math.sqrt(xs.reduce((p, x) => p + (x - m) ** 2, 0) / xs.length)] as const;
};

describe('per-asset baseline calibration', () => {
  it('counts each frame once across overlapping windows, then z-scores with the first N frames', () => {
    const cal = new BaselineCalibrator({ asset: 'p1', model: 'm', channels: CH, frames: 20, minStd: [0, 0] });
    // Windows of 10 frames sliding by 5: frames 0-9, 5-14 (5 new), 10-19 (5 new): 20 unique frames.
    expect(() => cal.observe(win(0, 10), [0, 1])).toThrow(CalibratingError);
    expect(cal.progress()).toBe(10);
    expect(() => cal.observe(win(5, 10), [0, 1])).toThrow('calibrating its baseline on asset p1: 15/20 frames');
    const norm = cal.observe(win(10, 10), [0, 1]);
    const [ma, sa] = meanStd(Array.from({ length: 20 }, (_, i) => i));
    const [mb, sb] = meanStd(Array.from({ length: 20 }, (_, i) => 10 + 2 * i));
    expect(norm.offset[0]).toBeCloseTo(ma, 12);
    expect(1 / norm.scale[0]!).toBeCloseTo(sa, 12);
    expect(norm.offset[1]).toBeCloseTo(mb, 12);
    expect(1 / norm.scale[1]!).toBeCloseTo(sb, 12);
    // Later windows do not move the baseline.
    const later = cal.observe(win(100, 10), [0, 1]);
    expect(Array.from(later.offset)).toEqual(Array.from(norm.offset));
  });

  it('skips missing cells: a channel is ready only when it has N good values', () => {
    const cal = new BaselineCalibrator({ asset: 'p1', model: 'm', channels: CH, frames: 10, minStd: [0, 0] });
    expect(() => cal.observe(win(0, 10, 3), [0, 1])).toThrow('9/10 frames');
    const norm = cal.observe(win(10, 1), [0, 1]);
    const [mb] = meanStd([0, 1, 2, 4, 5, 6, 7, 8, 9, 10].map((i) => 10 + 2 * i));
    expect(norm.offset[1]).toBeCloseTo(mb, 12);
  });

  it('floors a quiet channel at minStd', () => {
    const cal = new BaselineCalibrator({ asset: 'p1', model: 'm', channels: CH, frames: 5, minStd: [100, 0] });
    const norm = cal.observe(win(0, 5), [0, 1]);
    expect(norm.scale[0]).toBe(1 / 100);
  });

  it('keeps the baseline on disk so a restart does not recalibrate; another asset or channel set does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-baseline-'));
    const file = baselinePath(dir, 'p1', 'm');
    const first = new BaselineCalibrator({ asset: 'p1', model: 'm', channels: CH, frames: 5, minStd: [0, 0], file });
    const norm = first.observe(win(0, 5), [0, 1]);
    expect(existsSync(file)).toBe(true);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { frames: number }).frames).toBe(5);
    const again = new BaselineCalibrator({ asset: 'p1', model: 'm', channels: CH, frames: 5, minStd: [0, 0], file });
    expect(again.ready).toBe(true);
    // Values far from the first calibration do not change the loaded baseline.
    expect(Array.from(again.observe(win(500, 5), [0, 1]).offset)).toEqual(Array.from(norm.offset));
    const other = new BaselineCalibrator({ asset: 'p1', model: 'm', channels: ['a', 'c'], frames: 5, minStd: [0, 0], file });
    expect(other.ready).toBe(false);
  });
});
