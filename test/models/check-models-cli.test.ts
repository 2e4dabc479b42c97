/** @jest-environment ./test/ml/ort-environment.js */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { framesManifest, meanModel, sandbox, writeModel, type Sandbox } from './fixtures';
import { CHANNELS, FRAMES, pmVersion } from './service-helpers';

const CLI = join(__dirname, '../../dist/src/cli/main.js');

/** The compiled CLI in its own process, as a plant engineer runs it before deployment (npm test builds dist first). */
function checkConfig(file: string): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: build first with "npx tsc -p ."`);
  const r = spawnSync(process.execPath, [CLI, 'check-config', file, '--models'], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function config(sb: Sandbox, name: string, bindings: readonly string[]): string {
  const file = join(sb.root, `${name}.yaml`);
  writeFileSync(file, `gateway: { id: gw-t, site: s1, dataDir: ./data, modelsDir: ./models }
sources:
  - { id: plc, type: modbus, host: 127.0.0.1, registers: [{ name: a, address: 0 }, { name: b, address: 1 }] }
assets:
${bindings.map((b, i) => `  - { id: pump${i + 1}, tags: { a: plc/a, b: plc/b }, window: { type: count, size: ${FRAMES}, frameMs: 1000 }, models: [${b}] }`).join('\n')}
`);
  return file;
}

describe('pdm-gateway check-config FILE --models', () => {
  let sb: Sandbox;
  let keyId = '';
  beforeAll(() => {
    sb = sandbox();
    pmVersion(sb, '1.0.0');
    // A model whose graph reads 5 frames, bound to an asset whose window holds 4.
    const five = meanModel(5, CHANNELS.length);
    writeModel(join(sb.shipped, 'pm5'), five, framesManifest({ id: 'pm5', version: '2.0.0', bytes: five }, 5, CHANNELS), sb.key);
    keyId = (JSON.parse(readFileSync(join(sb.shipped, 'pm', 'manifest.json'), 'utf8')) as { signature: { keyId: string } }).signature.keyId;
  });
  afterAll(() => sb.cleanup());

  it('names the version each bound model would score with, and exits 0', () => {
    const r = checkConfig(config(sb, 'good', ['{ id: pm, role: anomaly }', '{ id: pm, role: anomaly }']));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`ok
models (shipped ${sb.shipped}, installed ${join(sb.root, 'data', 'models')}):
  pm 1.0.0 (signed by ${keyId}) for pump1 (anomaly), pump2 (anomaly)
`);
    expect(r.code).toBe(0);
  });

  it('names every bound model that would not load and why, exits 1, and writes nothing into the data folder', () => {
    const r = checkConfig(config(sb, 'bad', ['{ id: pm, role: anomaly }', '{ id: ghost, role: rul }', '{ id: pm5, role: anomaly, shadow: pm }']));
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'ok',
      `models (shipped ${sb.shipped}, installed ${join(sb.root, 'data', 'models')}):`,
      `  pm 1.0.0 (signed by ${keyId}) for pump1 (anomaly), pump3 (anomaly, shadow)`,
    ]);
    expect(lines[3]).toBe(`  ghost REFUSED for pump2 (rul): model ghost: no version found under ${join(sb.shipped, 'ghost')} or ${join(sb.root, 'data', 'models', 'ghost')}`);
    expect(lines[4]).toBe("  pm5 REFUSED for pump3 (anomaly): model pm5: no usable version (2.0.0: model pm5@2.0.0: input 'x' on asset pump3: the model reads windows of 5 frames but the asset's window holds 4)");
    expect(lines.slice(5)).toEqual(['']);
    expect(r.code).toBe(1);
    expect(existsSync(join(sb.root, 'data'))).toBe(false);
  });
});
