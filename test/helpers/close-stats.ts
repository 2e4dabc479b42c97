/**
 * Checks running statistics against the computation from scratch: min, max, p2p exactly; mean
 * within 1e-9 of the channel's scale (its largest magnitude); std within 1e-9 of the channel's
 * spread (p2p: tighter than its scale when values are large and close together); rms and crest
 * within 1e-9 relative. Returns the largest error seen, relative to its bound.
 */
export function expectClose(got: Record<string, number>, exact: Record<string, number>, what: string): number {
  const scale = Math.max(Math.abs(exact.min), Math.abs(exact.max));
  const bound: Record<string, number> = {
    mean: 1e-9 * scale, std: 1e-9 * exact.p2p, rms: 1e-9 * exact.rms, crest: 1e-9 * exact.crest, min: 0, max: 0, p2p: 0, last: 0,
  };
  let worst = 0;
  for (const k of Object.keys(exact)) {
    const err = Math.abs(got[k] - exact[k]);
    const b = bound[k] ?? 0;
    if (!(err <= b)) throw new Error(`${what}: ${k} ${got[k]} vs ${exact[k]} from scratch (error ${err}, bound ${b})`);
    if (b > 0) worst = Math.max(worst, err / b);
  }
  return worst;
}
