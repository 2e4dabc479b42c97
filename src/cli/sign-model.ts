import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readManifest, writeManifest } from '../models/manifest-io';
import { readPrivateKey, signManifest } from '../models/signing';

/** Signs a model folder in place: sets sha256 of the model file, then the Ed25519 signature over the canonical manifest. */
export function signModelDir(dir: string, keyPath: string): { id: string; version: string; sha256: string; keyId: string } {
  const { raw, manifest } = readManifest(dir);
  const key = readPrivateKey(keyPath);
  const sha256 = createHash('sha256').update(readFileSync(join(dir, manifest.file))).digest('hex');
  const { signature: _old, ...unsigned } = raw;
  const next: Record<string, unknown> = { ...unsigned, sha256 };
  const signature = signManifest(next, key);
  writeManifest(dir, { ...next, signature });
  return { id: manifest.id, version: manifest.version, sha256, keyId: signature.keyId };
}

/** What `train` and `quantize` print after writing model folders: a gateway refuses them until they are signed. */
export function unsignedNote(dirs: readonly string[]): string {
  return `unsigned: a gateway loads ${dirs.length === 1 ? 'it' : 'them'} once signed with a trusted key (pdm-gateway sign-model <dir> --key KEY, for ${dirs.join(', ')})`;
}

export function registerSignModel(program: Command): void {
  program
    .command('sign-model')
    .description('Sign a model folder (manifest.json + model file): records the sha256 of the model and an Ed25519 signature in manifest.json')
    .requiredOption('-k, --key <file>', 'Ed25519 private key (PEM) from pdm-gateway keygen')
    .argument('<dir>', 'model folder, e.g. models/<id>')
    .action((dir: string, opts: { key: string }) => {
      try {
        const r = signModelDir(dir, opts.key);
        process.stdout.write(`signed ${r.id}@${r.version}: sha256 ${r.sha256}, key ${r.keyId}\n`);
      } catch (e) {
        process.stderr.write(`sign-model: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
      }
    });
}
