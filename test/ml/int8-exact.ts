import { readOnnxModel } from '../../src/ml/onnx';

const f = Math.fround;

/** Round half to even (ONNX's rounding for QuantizeLinear / DynamicQuantizeLinear). */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** DynamicQuantizeLinear as the ONNX spec writes it, in float32 arithmetic: uint8 values, scale, zero point. */
export function dynamicQuantize(x: Float32Array): { q: Uint8Array; scale: number; zero: number } {
  let lo = 0;
  let hi = 0;
  for (const v of x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const scale = f(f(hi - lo) / 255);
  const zero = Math.max(0, Math.min(255, roundEven(f(0 - f(lo / scale)))));
  const q = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) q[i] = Math.max(0, Math.min(255, roundEven(f(x[i]! / scale)) + zero));
  return { q, scale, zero };
}

/**
 * The exact result of the int8 graph `int8MatMul` writes for one dense layer named `w` (an
 * initializer prefix), computed in TypeScript: DynamicQuantizeLinear, an int32 matrix product
 * with no saturation anywhere, Cast, y = acc * (x_scale * w_scale) + b in float32.
 */
export function exactInt8Dense(onnx: Uint8Array, w: string, x: Float32Array, rows: number): Float32Array {
  const inits = readOnnxModel(onnx).initializers;
  const get = (n: string): ArrayLike<number> => {
    const t = inits.get(n);
    if (!t) throw new Error(`initializer ${n} is missing`);
    return t.data as ArrayLike<number>;
  };
  const wq = get(`${w}_q`);
  const scale = get(`${w}_scale`);
  const bias = get(`${w}_bias`);
  const units = scale.length;
  const inF = wq.length / units;
  const { q, scale: xs, zero } = dynamicQuantize(x);
  const y = new Float32Array(rows * units);
  for (let r = 0; r < rows; r++)
    for (let u = 0; u < units; u++) {
      let acc = 0;
      for (let k = 0; k < inF; k++) acc += (q[r * inF + k]! - zero) * wq[k * units + u]!;
      y[r * units + u] = f(f(acc * f(xs * scale[u]!)) + bias[u]!);
    }
  return y;
}
