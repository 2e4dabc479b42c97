import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelRejectedError } from './errors';
import { modelManifest, type ModelManifest } from './manifest';

export const MANIFEST_FILE = 'manifest.json';

export interface ManifestFile {
  /** The JSON as stored (what the signature covers). */
  readonly raw: Record<string, unknown>;
  /** Validated, with defaults. */
  readonly manifest: ModelManifest;
}

/** Reads and validates <dir>/manifest.json; every problem names the file and the field. */
export function readManifest(dir: string): ManifestFile {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ModelRejectedError(path, 'missing-file', `cannot read the manifest: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelRejectedError(path, 'manifest', `not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ModelRejectedError(path, 'manifest', 'expected a JSON object');
  const parsed = modelManifest.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelRejectedError(path, 'manifest', `invalid manifest: ${issues}`);
  }
  return { raw: raw as Record<string, unknown>, manifest: parsed.data };
}

/** Replaces <dir>/manifest.json atomically (write a temporary file, then rename). */
export function writeManifest(dir: string, raw: Record<string, unknown>): void {
  const path = join(dir, MANIFEST_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(raw, null, 2)}\n`);
  renameSync(tmp, path);
}
