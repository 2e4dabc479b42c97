import type { Param } from './layers';
import type { Sequential } from './sequential';

/** Keep-masks for the weight matrices (biases are never pruned). */
export interface PruneMasks {
  params: Param[];
  masks: Uint8Array[];
}

/**
 * Magnitude pruning: in every weight tensor, zero each weight with |w| < lambda * max|w| of that
 * tensor. Returns the masks so fine-tuning can keep pruned weights at zero.
 */
export function magnitudePrune(model: Sequential, lambda: number): PruneMasks {
  const params = model.params().filter((p) => p.decay);
  const masks = params.map((p) => {
    let max = 0;
    for (let i = 0; i < p.value.length; i++) max = Math.max(max, Math.abs(p.value[i]!));
    const cut = lambda * max;
    const m = new Uint8Array(p.value.length);
    for (let i = 0; i < p.value.length; i++) m[i] = Math.abs(p.value[i]!) >= cut ? 1 : 0;
    return m;
  });
  const pm = { params, masks };
  applyMasks(pm);
  return pm;
}

/** Re-zeroes pruned weights (call after each optimizer step while fine-tuning). */
export function applyMasks(pm: PruneMasks): void {
  pm.params.forEach((p, k) => {
    const m = pm.masks[k]!;
    for (let i = 0; i < m.length; i++) if (m[i] === 0) p.value[i] = 0;
  });
}

/** Fraction of weights (not biases) that are exactly zero. */
export function sparsity(model: Sequential): number {
  let zero = 0;
  let total = 0;
  for (const p of model.params().filter((q) => q.decay)) {
    for (let i = 0; i < p.value.length; i++) if (p.value[i] === 0) zero++;
    total += p.value.length;
  }
  return total > 0 ? zero / total : 0;
}
