import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { demoConfig } from './demo-config';

const CLI = join(__dirname, '../../dist/src/cli/main.js');

interface UnixDgramSocket {
  bind(path: string): void;
  on(event: 'message', cb: (msg: Buffer) => void): void;
  close(): void;
}

/** The compiled CLI in its own process, as systemd runs it (npm test builds dist first). */
describe('pdm-gateway run as a process', () => {
  it('sends READY=1 over NOTIFY_SOCKET, runs under load, applies gateway.heapGrowthPercent, and exits 0 on SIGTERM within 10 s', async () => {
    const cfg = await demoConfig(2000);
    const dir = mkdtempSync(join(tmpdir(), 'pdm-cli-'));
    const file = join(dir, 'gw.yaml');
    writeFileSync(file, stringify({ ...cfg.config, gateway: { ...cfg.config.gateway, dataDir: join(dir, 'data'), modelsDir: join(__dirname, '../../models'), heapGrowthPercent: 100 } }));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dgram = require('unix-dgram') as { createSocket(t: 'unix_dgram'): UnixDgramSocket };
    const notifyPath = join(dir, 'notify.sock');
    const sock = dgram.createSocket('unix_dgram');
    const notes: string[] = [];
    sock.on('message', (m) => notes.push(m.toString()));
    sock.bind(notifyPath);

    const child = spawn(process.execPath, [CLI, 'run', '--config', file], {
      env: { ...process.env, NOTIFY_SOCKET: notifyPath, WATCHDOG_USEC: '1000000', PDM_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

    const t0 = Date.now();
    while (!/smp\/s/.test(out) && Date.now() - t0 < 40000) await new Promise((r) => setTimeout(r, 200));
    // Let it run under load (both machines polled, windows closing, uplink draining) for a while.
    await new Promise((r) => setTimeout(r, 3000));
    const tStop = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    const stopMs = Date.now() - tStop;
    sock.close();
    // Show the shutdown log when the deadline is missed: it names the module that held it up.
    if (stopMs >= 10000 || code !== 0) process.stderr.write(out.slice(-4000));

    expect(out).toMatch(/gateway running/);
    expect(out).toMatch(/"heapGrowthPercent":100,"msg":"heap growth limited to 100% of live data"/);
    expect(notes.some((n) => n.startsWith('READY=1'))).toBe(true);
    expect(notes.filter((n) => n === 'WATCHDOG=1').length).toBeGreaterThanOrEqual(2);
    expect(notes).toContain('STOPPING=1');
    expect(code).toBe(0);
    expect(stopMs).toBeLessThan(10000);
    expect(out).toMatch(/"timedOut":\[\]/);
  }, 90000);

  it('exits 1 with every problem listed for a bad config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'gateway: { id: g, site: s, dataDri: x }\nsources:\n  - { id: p, type: modbus, host: h, registers: [{ name: a, address: 0, type: in16 }] }\n');
    const child = spawn(process.execPath, [CLI, 'check-config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(out).toContain(`${file}: 2 problems`);
    expect(out).toContain('gateway.dataDri: unknown key (did you mean "dataDir"?)');
    expect(out).toContain('sources[0].registers[0].type: expected one of bool, int16');
  }, 30000);
});
