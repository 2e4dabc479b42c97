import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireCommand } from '../helpers/peers';

/**
 * A virtual serial line: socat's pty pair, `ours` for the gateway and `theirs` for the device.
 * `stop()` ends socat with SIGTERM, which removes both links (the port disappears, as a USB
 * adapter pulled out); `start()` again makes the same paths reappear. Only our own socat is killed.
 */
export class PtyPair {
  readonly ours: string;
  readonly theirs: string;
  private proc: ChildProcess | undefined;

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-rtu-'));
    this.ours = join(dir, 'gateway');
    this.theirs = join(dir, 'device');
  }

  async start(): Promise<void> {
    const bin = requireCommand('socat', 'socat');
    this.proc = spawn(bin, [`pty,raw,echo=0,link=${this.ours}`, `pty,raw,echo=0,link=${this.theirs}`], { stdio: 'ignore' });
    await waitFor('socat to create the pty pair', () => existsSync(this.ours) && existsSync(this.theirs));
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
    await waitFor('the pty links to disappear', () => !existsSync(this.ours) && !existsSync(this.theirs));
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
