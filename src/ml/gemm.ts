import type { FArray } from './tensor';

/**
 * Where the rows of a matrix live in a flat array: rows come in `groups` of `rows` rows; row r of
 * group g starts at offset + g*groupStride + r*rowStride. This covers a plain matrix
 * (groupStride 0, one group) and the overlapping patches of a 1-D convolution (rowStride =
 * channels, so im2col never has to be materialized).
 */
export interface RowLayout {
  rows: number;
  rowStride: number;
  groupStride: number;
  offset?: number;
}

export function dense(rows: number, cols: number): RowLayout {
  return { rows, rowStride: cols, groupStride: rows * cols };
}

/**
 * C[m, n] (+)= sum_k A[m, k] * B[n, k] (+ bias[n]) — both operands contiguous along k.
 * Register-blocked 2 rows x 4 columns: each loaded value feeds 2 or 4 multiply-adds, which lets
 * V8's scalar code run 3-4x faster than a plain dot product (measured here; a 3x4 block was no
 * faster once stores and remainders were counted). Rows of C may overlap in accumulate mode
 * (each store is a read-add-write in row order), which the convolution's input gradient uses.
 */
export function gemmNT(
  c: FArray,
  cl: RowLayout,
  a: FArray,
  al: RowLayout,
  b: FArray,
  ldb: number,
  groups: number,
  N: number,
  K: number,
  accumulate: boolean,
  bias?: FArray,
): void {
  const R = al.rows;
  for (let g = 0; g < groups; g++) {
    const aG = (al.offset ?? 0) + g * al.groupStride;
    const cG = (cl.offset ?? 0) + g * cl.groupStride;
    for (let r = 0; r < R; r += 2) {
      const two = r + 1 < R;
      const a0 = aG + r * al.rowStride;
      const a1 = two ? a0 + al.rowStride : a0;
      const c0 = cG + r * cl.rowStride;
      const c1 = c0 + cl.rowStride;
      let n = 0;
      for (; n + 3 < N; n += 4) {
        const b0 = n * ldb;
        const b1 = b0 + ldb;
        const b2 = b1 + ldb;
        const b3 = b2 + ldb;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0; // prettier-ignore
        for (let k = 0; k < K; k++) {
          const x0 = a[a0 + k]!;
          const x1 = a[a1 + k]!;
          const v0 = b[b0 + k]!;
          const v1 = b[b1 + k]!;
          const v2 = b[b2 + k]!;
          const v3 = b[b3 + k]!;
          s00 += x0 * v0;
          s01 += x0 * v1;
          s02 += x0 * v2;
          s03 += x0 * v3;
          s10 += x1 * v0;
          s11 += x1 * v1;
          s12 += x1 * v2;
          s13 += x1 * v3;
        }
        if (bias) {
          const q0 = bias[n]!, q1 = bias[n + 1]!, q2 = bias[n + 2]!, q3 = bias[n + 3]!; // prettier-ignore
          s00 += q0;
          s01 += q1;
          s02 += q2;
          s03 += q3;
          s10 += q0;
          s11 += q1;
          s12 += q2;
          s13 += q3;
        }
        if (accumulate) {
          c[c0 + n]! += s00;
          c[c0 + n + 1]! += s01;
          c[c0 + n + 2]! += s02;
          c[c0 + n + 3]! += s03;
          if (two) {
            c[c1 + n]! += s10;
            c[c1 + n + 1]! += s11;
            c[c1 + n + 2]! += s12;
            c[c1 + n + 3]! += s13;
          }
        } else {
          c[c0 + n] = s00;
          c[c0 + n + 1] = s01;
          c[c0 + n + 2] = s02;
          c[c0 + n + 3] = s03;
          if (two) {
            c[c1 + n] = s10;
            c[c1 + n + 1] = s11;
            c[c1 + n + 2] = s12;
            c[c1 + n + 3] = s13;
          }
        }
      }
      for (; n < N; n++) {
        const b0 = n * ldb;
        let s0 = 0;
        let s1 = 0;
        for (let k = 0; k < K; k++) {
          const v = b[b0 + k]!;
          s0 += a[a0 + k]! * v;
          s1 += a[a1 + k]! * v;
        }
        const bn = bias ? bias[n]! : 0;
        if (accumulate) {
          c[c0 + n]! += s0 + bn;
          if (two) c[c1 + n]! += s1 + bn;
        } else {
          c[c0 + n] = s0 + bn;
          if (two) c[c1 + n] = s1 + bn;
        }
      }
    }
  }
}

/** dst[j, i] = src[i, j] for a rows x cols matrix. */
export function transpose(src: FArray, rows: number, cols: number, dst: FArray): FArray {
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) dst[j * rows + i] = src[o + j]!;
  }
  return dst;
}

/** Column sums of a rows x cols matrix into `out` (bias gradients). */
export function columnSums(src: FArray, rows: number, cols: number, out: FArray): void {
  out.fill(0);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[j]! += src[o + j]!;
  }
}
