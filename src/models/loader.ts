import { createHash, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ModelRejectedError } from './errors';
import { readManifest } from './manifest-io';
import { LoadedModel } from './runner';
import type { InferenceThread } from './session-host';
import { verifyManifest } from './signing';

export interface VerifyOptions {
  readonly trusted: ReadonlyMap<string, KeyObject>;
  readonly requireSignature: boolean;
  readonly threads: number;
  readonly thread?: InferenceThread;
}

/**
 * Verification before load, in order: manifest valid, model file present, its sha256 equal to the
 * manifest's (a truncated or altered file stops here), manifest signature by a trusted key, then
 * onnxruntime loads it and LoadedModel checks the graph and probes it. Any failure is a
 * ModelRejectedError naming the folder and the reason.
 */
export async function verifyAndLoad(dir: string, o: VerifyOptions): Promise<LoadedModel> {
  const { raw, manifest } = readManifest(dir);
  const ref = `${manifest.id}@${manifest.version}`;
  const subject = `model ${ref} (${dir})`;
  if (basename(manifest.file) !== manifest.file) throw new ModelRejectedError(subject, 'manifest', `file '${manifest.file}' must be a plain file name inside the model folder`);
  const path = join(dir, manifest.file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ModelRejectedError(subject, 'missing-file', `cannot read ${manifest.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== manifest.sha256) {
    throw new ModelRejectedError(subject, 'sha256', `${manifest.file} is truncated or altered: its sha256 ${sha.slice(0, 12)}... (${bytes.length} bytes) differs from the manifest's ${manifest.sha256.slice(0, 12)}...`);
  }
  const sig = verifyManifest(raw, o.trusted);
  if (!sig.ok && (o.requireSignature || sig.reason !== 'unsigned')) throw new ModelRejectedError(subject, sig.reason, sig.message);
  return LoadedModel.load({ dir, manifest, bytes, keyId: sig.ok ? sig.keyId : undefined, threads: o.threads, thread: o.thread });
}
