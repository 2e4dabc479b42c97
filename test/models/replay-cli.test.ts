/** @jest-environment ./test/ml/ort-environment.js */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox, type Sandbox } from './fixtures';
import { blModel, pmVersion } from './service-helpers';

const CLI = join(__dirname, '../../dist/src/cli/main.js');

/** The compiled CLI in its own process (npm test builds dist first). */
function replay(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: build first with "npx tsc -p ."`);
  const r = spawnSync(process.execPath, [CLI, 'replay', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Line { type: 'window' | 'alarm'; seq?: number; start?: number; health?: { model: string; version: string; value: number; state: string }[]; action?: string; ts?: number }

describe('pdm-gateway replay: a recorded CSV through an asset\'s pipeline and models', () => {
  let sb: Sandbox;
  let cfg = '';
  beforeAll(() => {
    sb = sandbox();
    pmVersion(sb, '1.0.0'); // score = the mean of the window's 4 x 2 values; anomaly above 5
    blModel(sb); // the same, z-scored against each asset's first 8 frames
    cfg = join(sb.root, 'gw.yaml');
    writeFileSync(cfg, `gateway: { id: gw-t, site: s1, dataDir: ./data, modelsDir: ./models }
sources:
  - { id: plc, type: modbus, host: 127.0.0.1, registers: [{ name: a, address: 0 }, { name: b, address: 1 }] }
assets:
  - { id: pump, tags: { a: plc/a, b: plc/b }, window: { type: count, size: 4, frameMs: 1000 }, models: [{ id: pm, role: anomaly }], health: { n: 2, m: 3 } }
  - { id: calibrated, tags: { a: plc/a, b: plc/b }, window: { type: count, size: 4, frameMs: 1000 }, models: [{ id: bl, role: anomaly }] }
`);
  });
  afterAll(() => sb.cleanup());

  it('scores every window of the file with the bound model, raises the alarm on its persistence, and sums up on stderr', () => {
    // Rows 0..11 at 1 s: a = k, b = 2k, so window w (rows 4w..4w+3) scores 1.5 x (4w + 1.5).
    const csv = join(sb.root, 'pump.csv');
    writeFileSync(csv, `time,b,a\n${Array.from({ length: 12 }, (_, k) => `${k * 1000},${2 * k},${k}`).join('\n')}\n`);
    const r = replay('--config', cfg, '--asset', 'pump', '--csv', csv);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
    expect(lines.map((l) => (l.type === 'window' ? [l.seq, l.start, l.health!.map((h) => [h.model, h.version, h.value, h.state])] : [l.action, l.ts]))).toEqual([
      [0, 0, [['pm', '1.0.0', 2.25, 'normal']]],
      [1, 4000, [['pm', '1.0.0', 8.25, 'warning']]],
      ['raise', 12000],
      [2, 8000, [['pm', '1.0.0', 14.25, 'alarm']]],
    ]);
    expect(r.stderr).toBe(`replayed 12 rows of ${csv} through asset pump (models: pm 1.0.0): 3 windows, 1 alarms raised, 0 problems in the file\n`);
  });

  it('keeps a baseline calibration in memory: nothing is written where a running gateway keeps its own', () => {
    const csv = join(sb.root, 'calibrated.csv');
    writeFileSync(csv, `a;b\n${Array.from({ length: 16 }, (_, k) => `${k % 3};${k % 2}`).join('\n')}\n`);
    const r = replay('--config', cfg, '--asset', 'calibrated', '--csv', csv, '--out', join(sb.root, 'out.jsonl'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    // The baseline is calibrated on the first 8 frames: the first window waits, the second (frames 4-7) completes it and is scored.
    expect(r.stderr).toBe(`replayed 16 rows of ${csv} through asset calibrated (models: bl 1.0.0): 4 windows, 0 alarms raised, 0 problems in the file\n`);
    const lines = readFileSync(join(sb.root, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    expect(lines.map((l) => [l.seq, l.health?.[0]?.model ?? null])).toEqual([[0, null], [1, 'bl'], [2, 'bl'], [3, 'bl']]);
    expect(existsSync(join(sb.root, 'data'))).toBe(false);
  });

  it('refuses an unknown asset, a file without a channel, and a model that would not load, naming each', () => {
    const csv = join(sb.root, 'short.csv');
    writeFileSync(csv, 'a,vib\n1,2\n');
    expect(replay('-c', cfg, '-a', 'fan', '--csv', csv)).toMatchObject({ code: 1, stderr: `--asset: no asset fan in ${cfg} (assets: pump, calibrated)\n` });
    expect(replay('-c', cfg, '-a', 'pump', '--csv', csv)).toMatchObject({ code: 1, stderr: `${csv}: no column b (header: a, vib); name the columns after the asset's channels (a, b) or map them (replay --columns channel=column,...)\n` });
    expect(replay('-c', cfg, '-a', 'pump', '--csv', csv, '--columns', 'b')).toMatchObject({ code: 1, stderr: '--columns: expected channel=column pairs separated by commas, got "b"\n' });
    const nowhere = join(sb.root, 'no-such-dir', 'out.jsonl');
    expect(replay('-c', cfg, '-a', 'pump', '--csv', csv, '--columns', 'b=vib', '--out', nowhere)).toMatchObject({ code: 1, stderr: `--out: cannot write ${nowhere}: ENOENT: no such file or directory, open '${nowhere}'\n` });
    const ghost = join(sb.root, 'ghost.yaml');
    writeFileSync(ghost, `gateway: { id: gw-t, site: s1, dataDir: ./data, modelsDir: ./models }
sources:
  - { id: plc, type: modbus, host: 127.0.0.1, registers: [{ name: a, address: 0 }, { name: b, address: 1 }] }
assets:
  - { id: pump, tags: { a: plc/a, b: plc/b }, window: { type: count, size: 4, frameMs: 1000 }, models: [{ id: ghost, role: rul }] }
`);
    // The model layer's own log line comes first (stderr), then the refusal.
    const r = replay('-c', ghost, '-a', 'pump', '--csv', csv, '--columns', 'b=vib');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toBe(`asset pump: model ghost: no version found under ${join(sb.shipped, 'ghost')} or ${join(sb.root, 'data', 'models', 'ghost')}`);
  });
});
