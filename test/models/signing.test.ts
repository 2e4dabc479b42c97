import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/program';
import { canonicalJson, keyIdOf, loadTrustedKeys, readPublicKey, verifyManifest } from '../../src/models/signing';
import { framesManifest, meanModel, sandbox, writeModel, type Sandbox } from './fixtures';

describe('model signatures (Ed25519)', () => {
  let sb: Sandbox;
  beforeAll(() => { sb = sandbox(); });
  afterAll(() => sb.cleanup());

  it('canonical JSON sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 'x' }], c: undefined } })).toBe('{"a":{"d":[1,{"y":"x","z":0}]},"b":1}');
  });

  it('verifies a manifest signed by a trusted key; refuses altered, unknown-key, unsigned and malformed ones with reasons', () => {
    const { keys } = loadTrustedKeys([join(sb.shipped, 'trusted')]);
    expect(keys.size).toBe(1);
    const bytes = meanModel(2, 1);
    const m = framesManifest({ id: 'm', version: '1.0.0', bytes }, 2, ['a']);
    const dir = writeModel(join(sb.root, 'sig1'), bytes, m, sb.key);
    const raw = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(verifyManifest(raw, keys)).toEqual({ ok: true, keyId: [...keys.keys()][0] });
    // key order in the file does not matter
    const reordered = Object.fromEntries(Object.entries(raw).reverse());
    expect(verifyManifest(reordered, keys).ok).toBe(true);
    const altered = { ...raw, thresholds: { anomaly: 99 } };
    expect(verifyManifest(altered, keys)).toMatchObject({ ok: false, reason: 'bad-signature' });
    const { signature: _s, ...unsigned } = raw;
    expect(verifyManifest(unsigned, keys)).toEqual({ ok: false, reason: 'unsigned', message: 'the manifest is not signed (run pdm-gateway sign-model)' });
    const strangerDir = writeModel(join(sb.root, 'sig2'), bytes, m, sb.strangerKey);
    const r = verifyManifest(JSON.parse(readFileSync(join(strangerDir, 'manifest.json'), 'utf8')) as Record<string, unknown>, keys);
    expect(r).toMatchObject({ ok: false, reason: 'unknown-key' });
    expect(r.ok ? '' : r.message).toMatch(/^signed by unknown key [0-9a-f]{16} \(trusted: [0-9a-f]{16}\)$/);
    expect(verifyManifest({ ...raw, signature: { algorithm: 'rsa' } }, keys)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('reports unreadable trusted key paths without failing', () => {
    const bad = join(sb.root, 'not-a-key.pub');
    writeFileSync(bad, 'hello');
    const { keys, problems } = loadTrustedKeys([bad, join(sb.root, 'nowhere')]);
    expect(keys.size).toBe(0);
    expect(problems[0]).toContain(`trusted key ${bad}:`);
    expect(problems[1]).toBe(`trusted key path ${join(sb.root, 'nowhere')} does not exist`);
  });

  it('CLI: keygen writes a 0600 private key and refuses to overwrite; sign-model sets sha256 and a signature that verifies', async () => {
    const out = join(sb.root, 'cli-keys');
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const errw = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await buildProgram().exitOverride().parseAsync(['node', 'pdm-gateway', 'keygen', '--out', out]);
      expect(statSync(join(out, 'model-signing.key')).mode & 0o777).toBe(0o600);
      const pub = readPublicKey(join(out, 'model-signing.pub'));
      expect(write.mock.calls.map((c) => String(c[0])).join('')).toContain(`key id:      ${keyIdOf(pub)}`);
      process.exitCode = 0;
      await buildProgram().exitOverride().parseAsync(['node', 'pdm-gateway', 'keygen', '--out', out]);
      expect(process.exitCode).toBe(1);
      expect(errw.mock.calls.map((c) => String(c[0])).join('')).toContain('already exists; refusing to overwrite a key');
      process.exitCode = 0;

      const bytes = meanModel(2, 1);
      const m = framesManifest({ id: 'cli', version: '1.0.0', bytes }, 2, ['a'], { sha256: '0'.repeat(64) });
      const dir = writeModel(join(sb.root, 'cli-model'), bytes, m, null);
      await buildProgram().exitOverride().parseAsync(['node', 'pdm-gateway', 'sign-model', '--key', join(out, 'model-signing.key'), dir]);
      const signed = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      expect(signed.sha256).toBe(framesManifest({ id: 'cli', version: '1.0.0', bytes }, 2, ['a']).sha256);
      expect(verifyManifest(signed, new Map([[keyIdOf(pub), pub]]))).toEqual({ ok: true, keyId: keyIdOf(pub) });
    } finally {
      write.mockRestore();
      errw.mockRestore();
      process.exitCode = 0;
    }
  });
});
