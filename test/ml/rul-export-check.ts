import { CMAPSS_SENSORS, lastWindows, type Engine } from '../../src/ml/cmapss-data';
import { OrtModel } from '../../src/ml/ort-predict';
import { Rng } from '../../src/ml/rng';
import { predictLast, rulToOnnx } from '../../src/ml/rul-model';
import type { Sequential } from '../../src/ml/sequential';

/**
 * Random engines of the given lengths (values uniform in [-range, range]), the RUL network's
 * TypeScript predictions at their last cycle, and a check that its exported ONNX graph in
 * onnxruntime gives the same numbers (to 1e-3 cycles). Returns the TypeScript predictions.
 */
export async function expectOnnxMatchesForward(member: Sequential, seed: number, lengths: readonly number[], range: number): Promise<number[]> {
  const rng = new Rng(seed);
  const engines: Engine[] = lengths.map((cycles, unit) => ({ unit, cycles, sensors: Float32Array.from({ length: cycles * 14 }, () => rng.uniform(-range, range)) }));
  const norm = { mean: CMAPSS_SENSORS.map(() => 0), std: CMAPSS_SENSORS.map(() => 1) };
  const ts = predictLast(member, engines, norm, 50, 125);
  // Inference is deterministic (noise and dropout off), so the same call gives the same numbers.
  expect(predictLast(member, engines, norm, 50, 125)).toEqual(ts);
  const ort = await OrtModel.load(rulToOnnx(member, 125));
  try {
    const out = Array.from(await ort.run(lastWindows(engines, 50, norm), [50, 14]));
    out.forEach((v, i) => expect(Math.abs(v - ts[i]!)).toBeLessThan(1e-3));
  } finally {
    await ort.release();
  }
  return ts;
}
