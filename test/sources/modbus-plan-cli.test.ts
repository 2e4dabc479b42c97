import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(__dirname, '../../dist/src/cli/main.js');

/** Runs the compiled CLI (npm test builds dist first) as a user would. */
function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: build first with "npx tsc -p ."`);
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A crafted map: one TCP source with two unit ids (unit 2 polled faster through devices[]), a gap
// wider than maxGap, a tag with its own interval, coils; one RTU line whose device takes 10
// registers per read at most.
const YAML = `gateway: { id: gw1, site: plant }
sources:
  - id: plc1
    type: modbus
    host: 10.0.0.5
    pollIntervalMs: 1000
    devices: [{ unitId: 2, pollIntervalMs: 250 }]
    registers:
      - { name: a, address: 0 }
      - { name: b, address: 1, type: int16 }
      - { name: f, address: 2, type: float32 }
      - { name: far, address: 20 }
      - { name: slow, address: 4, pollIntervalMs: 5000 }
      - { name: c0, area: coil, address: 0, type: bool }
      - { name: c3, area: coil, address: 3, type: bool }
      - { name: u2a, unitId: 2, area: input, address: 0 }
      - { name: u2b, unitId: 2, area: input, address: 9, type: uint32 }
  - id: line
    type: modbus
    transport: rtu
    serial: { path: /dev/ttyUSB0 }
    maxRegistersPerRead: 10
    registers:
${Array.from({ length: 15 }, (_, i) => `      - { name: r${i}, address: ${100 + i} }`).join('\n')}
`;

describe('pdm-gateway check-config FILE --plan (the compiled CLI in its own process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-plan-'));

  it('prints ok, then the requests per device per cycle of every Modbus source', () => {
    const file = join(dir, 'plan.yaml');
    writeFileSync(file, YAML);
    const r = cli('check-config', file, '--plan');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'ok',
        'source plc1 (tcp://10.0.0.5:502): 9 tags in 5 reads per cycle',
        '  unit 1 every 1000 ms: 3 requests, 6 tags',
        '    FC3 holding 0..3 (4): a, b, f',
        '    FC3 holding 20..20 (1): far',
        '    FC1 coil 0..3 (4): c0, c3',
        '  unit 1 every 5000 ms: 1 request, 1 tag',
        '    FC3 holding 4..4 (1): slow',
        '  unit 2 every 250 ms: 1 request, 2 tags',
        '    FC4 input 0..10 (11): u2a, u2b',
        'source line (rtu:/dev/ttyUSB0): 15 tags in 2 reads per cycle',
        '  unit 1 every 1000 ms: 2 requests, 15 tags',
        '    FC3 holding 100..109 (10): r0, r1, r2, r3, r4, r5, ... (+4)',
        '    FC3 holding 110..114 (5): r10, r11, r12, r13, r14',
        '',
      ].join('\n'),
    );
  });

  it('without --plan prints only ok', () => {
    const file = join(dir, 'plain.yaml');
    writeFileSync(file, YAML);
    expect(cli('check-config', file)).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
  });

  it('a config path that does not exist: exit 1, the error names the path, no plan', () => {
    const file = join(dir, 'no-such-dir', 'missing.yaml');
    const r = cli('check-config', file, '--plan');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${file}: 1 problem\n  (file): cannot read: ENOENT\n`);
  });

  it('an invalid Modbus map: exit 1, the problem named with its path and line, no plan', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, YAML.replace('{ name: far, address: 20 }', '{ name: far, address: 70000 }'));
    const r = cli('check-config', file, '--plan');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1 problem\n {2}sources\\[0\\]\\.registers\\[3\\]\\.address: .*65535.*\\(line 12, column \\d+\\)\n$`));
  });
});
