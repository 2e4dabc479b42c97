import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Model signatures: Ed25519 (node:crypto) over the canonical manifest. The manifest carries the
 * sha256 of the ONNX file, so the signature covers the model bytes too. Canonical form: the
 * manifest JSON as stored, without `signature`, object keys sorted, no whitespace; it is computed
 * from the raw file (not the schema-parsed object), so fields added to the schema later with
 * defaults do not change what was signed.
 */

export const SIGNATURE_ALGORITHM = 'ed25519';

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The bytes a signature covers: the canonical manifest without its signature. */
export function signedBytes(rawManifest: Record<string, unknown>): Buffer {
  const { signature: _sig, ...rest } = rawManifest;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

/** Key id: the first 16 hex characters of the sha256 of the public key (SPKI DER). */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export interface GeneratedKey {
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  readonly keyId: string;
}

/** Writes <name>.key (PKCS#8 PEM, mode 0600) and <name>.pub (SPKI PEM); never overwrites. */
export function generateSigningKey(outDir: string, name = 'model-signing'): GeneratedKey {
  const privateKeyPath = join(outDir, `${name}.key`);
  const publicKeyPath = join(outDir, `${name}.pub`);
  for (const p of [privateKeyPath, publicKeyPath]) if (existsSync(p)) throw new Error(`${p} already exists; refusing to overwrite a key`);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  writeFileSync(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx' });
  return { privateKeyPath, publicKeyPath, keyId: keyIdOf(publicKey) };
}

export function readPrivateKey(path: string): KeyObject {
  const key = createPrivateKey(readFileSync(path));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path}: not an Ed25519 private key (${key.asymmetricKeyType ?? 'unknown type'})`);
  return key;
}

export function readPublicKey(path: string): KeyObject {
  const key = createPublicKey(readFileSync(path));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path}: not an Ed25519 public key (${key.asymmetricKeyType ?? 'unknown type'})`);
  return key;
}

/** The signature block to put into a manifest. */
export function signManifest(rawManifest: Record<string, unknown>, privateKey: KeyObject): { algorithm: 'ed25519'; keyId: string; value: string } {
  const value = sign(null, signedBytes(rawManifest), privateKey).toString('base64');
  return { algorithm: SIGNATURE_ALGORITHM, keyId: keyIdOf(createPublicKey(privateKey)), value };
}

export type SignatureCheck =
  | { readonly ok: true; readonly keyId: string }
  | { readonly ok: false; readonly reason: 'unsigned' | 'unknown-key' | 'bad-signature'; readonly message: string };

export function verifyManifest(rawManifest: Record<string, unknown>, trusted: ReadonlyMap<string, KeyObject>): SignatureCheck {
  const sig = rawManifest.signature as { algorithm?: unknown; keyId?: unknown; value?: unknown } | undefined;
  if (!sig || typeof sig !== 'object') return { ok: false, reason: 'unsigned', message: 'the manifest is not signed (run pdm-gateway sign-model)' };
  if (sig.algorithm !== SIGNATURE_ALGORITHM || typeof sig.keyId !== 'string' || typeof sig.value !== 'string') {
    return { ok: false, reason: 'bad-signature', message: 'the signature block is malformed (expected algorithm ed25519, keyId, value)' };
  }
  const key = trusted.get(sig.keyId);
  if (!key) {
    const known = [...trusted.keys()];
    return { ok: false, reason: 'unknown-key', message: `signed by unknown key ${sig.keyId} (trusted: ${known.length ? known.join(', ') : 'none'})` };
  }
  const good = verify(null, signedBytes(rawManifest), key, Buffer.from(sig.value, 'base64'));
  return good ? { ok: true, keyId: sig.keyId } : { ok: false, reason: 'bad-signature', message: `the signature by key ${sig.keyId} does not verify: the manifest was altered after signing` };
}

/** Reads trusted public keys from PEM files and folders of *.pub; missing paths are reported, not fatal. */
export function loadTrustedKeys(paths: readonly string[]): { keys: Map<string, KeyObject>; problems: string[] } {
  const keys = new Map<string, KeyObject>();
  const problems: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) {
      problems.push(`trusted key path ${p} does not exist`);
      continue;
    }
    const files = statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith('.pub')).sort().map((f) => join(p, f)) : [p];
    for (const f of files) {
      try {
        const k = readPublicKey(f);
        keys.set(keyIdOf(k), k);
      } catch (e) {
        problems.push(`trusted key ${f}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return { keys, problems };
}
