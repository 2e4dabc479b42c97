/** Learning rate as a function of progress: linear warm-up, then cosine decay to `minLr`. */
export interface LrSchedule {
  /** `epoch` counts from 0; `frac` is the fraction of the epoch done. */
  at(epoch: number, frac: number): number;
}

export function constantLr(lr: number): LrSchedule {
  return { at: () => lr };
}

export function cosineLr(opts: { lr: number; minLr?: number; warmupEpochs?: number; epochs: number }): LrSchedule {
  const minLr = opts.minLr ?? opts.lr * 0.01;
  const warm = opts.warmupEpochs ?? 0;
  return {
    at(epoch, frac) {
      const e = epoch + frac;
      if (e < warm) return opts.lr * (e / warm);
      const p = Math.min(1, (e - warm) / Math.max(1e-9, opts.epochs - warm));
      return minLr + 0.5 * (opts.lr - minLr) * (1 + Math.cos(Math.PI * p));
    },
  };
}

/** Step decay: multiply by `factor` every `every` epochs. */
export function stepLr(opts: { lr: number; every: number; factor: number }): LrSchedule {
  return { at: (epoch) => opts.lr * Math.pow(opts.factor, Math.floor(epoch / opts.every)) };
}
