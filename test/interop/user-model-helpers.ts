import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signModelDir } from '../../src/cli/sign-model';
import type { Sample } from '../../src/core/sample';
import type { Rng } from '../../src/ml/rng';
import type { Sandbox } from '../models/fixtures';

/** Shared by the tests that bind models from other exporters (PyTorch, scikit-learn) by their manifests alone. */
export const FRAMES = 20;
export const CHANNELS = ['temp', 'vib', 'pressure'];

/**
 * Frame k of a pump: temperature and vibration cycles with noise; a fault of severity 1 shakes the
 * vibration 6x harder and offsets it by 0.4 (severity 0: healthy).
 */
export function frame(rng: Rng, k: number, severity: number): number[] {
  const vib = 1 + (0.1 + 0.5 * severity) * Math.sin((2 * Math.PI * k) / 5 + 1) + 0.4 * severity + 0.02 * (rng.next() - 0.5);
  return [70 + 2 * Math.sin((2 * Math.PI * k) / FRAMES) + 0.3 * (rng.next() - 0.5), vib, 4 + 0.05 * (rng.next() - 0.5)];
}

/** Frames from..from + count - 1 of `rows` as a source's samples (frame k at k seconds, tags plc/<channel>). */
export function samplesOf(rows: readonly number[][], from: number, count: number): Sample[] {
  return Array.from({ length: count }, (_, i) => from + i)
    .flatMap((k) => CHANNELS.map((c, i) => ({ tag: `plc/${c}`, value: rows[k]![i]!, sourceTs: k * 1000, receivedTs: k * 1000, quality: 'good' as const })));
}

/** What the user does: the exported file and a hand-written manifest in one folder, signed with sign-model. */
export function placeModel(sb: Sandbox, dir: string, exported: string, manifest: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), readFileSync(exported));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  signModelDir(dir, join(sb.shipped, 'trusted', 'project.key'));
  return dir;
}

/** Relative difference within tol of the exporter's own value (`by`), else an error naming the window. */
export function expectClose(got: readonly number[], want: readonly number[], tol: number, what: string, by: string): void {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => {
    const d = Math.abs(g - want[i]!) / Math.max(1e-6, Math.abs(want[i]!));
    if (!(d <= tol)) throw new Error(`${what} window ${i}: gateway ${g}, ${by} ${want[i]} (relative difference ${d})`);
  });
}
