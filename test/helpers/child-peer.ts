import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A peer in a child process (pymodbus, an OPC-UA server) that prints lines on stdout and "READY"
 * when it serves. Killed by its own pid only.
 */
export class ChildPeer {
  readonly lines: string[] = [];
  private proc: ChildProcess | undefined;
  private stderr = '';

  constructor(
    private readonly cmd: string,
    private readonly args: string[],
  ) {}

  async start(timeoutMs = 30_000): Promise<void> {
    const proc = spawn(this.cmd, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.lines.length = 0;
    proc.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    const rl = createInterface({ input: proc.stdout! });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.cmd} ${this.args.join(' ')}: no READY within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      rl.on('line', (line) => {
        this.lines.push(line);
        if (line.trim() === 'READY') {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.cmd} exited with ${code} before READY; stderr: ${this.stderr}`));
      });
    });
  }

  /** SIGKILL: the peer dies without a goodbye, as in a power cut. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }
}
