import { canConnect } from '../helpers/ports';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports';
import { requireCommand } from '../helpers/peers';

export interface MosquittoOptions {
  /** Extra lines for the listener (TLS, auth). */
  readonly listener?: readonly string[];
  /** Extra global lines. */
  readonly global?: readonly string[];
  /** Keep sessions and queued messages across a restart (default true; benches turn it off). */
  readonly persistence?: boolean;
}

/**
 * A real Mosquitto from Debian on a free port with a temp config and (by default) persistence, so
 * a stop and start behaves like a broker restart in production (sessions and queued QoS 1
 * messages kept). Also used by bench/uplink.ts.
 */
export class Mosquitto {
  readonly dir: string;
  port = 0;
  private proc?: ChildProcess;
  private readonly bin: string;
  private log = '';

  constructor(private opts: MosquittoOptions = {}) {
    this.bin = process.env.MOSQUITTO ?? (requireCommand('mosquitto', 'mosquitto') || '/usr/sbin/mosquitto');
    this.dir = mkdtempSync(join(tmpdir(), 'pdm-mosq-'));
  }

  /** The broker's process id (benches read its CPU time), undefined when stopped. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const conf = join(this.dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        ...(this.opts.persistence === false ? ['persistence false'] : ['persistence true', `persistence_location ${this.dir}/`, 'autosave_interval 1']),
        'max_queued_messages 0',
        'max_inflight_messages 0',
        'log_type error',
        'log_type warning',
        // As root mosquitto drops to user "mosquitto", which cannot read our 0700 temp dirs.
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        ...(this.opts.global ?? []),
        `listener ${this.port} 127.0.0.1`,
        ...(this.opts.listener ?? ['allow_anonymous true']),
        '',
      ].join('\n'),
    );
    const proc = spawn(this.bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.proc = proc;
    const end = Date.now() + 10_000;
    while (!(await canConnect(this.port))) {
      if (proc.exitCode !== null || Date.now() > end) throw new Error(`mosquitto did not start on port ${this.port}: ${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Options for the next start() (a broker restarted with another configuration). */
  reconfigure(opts: Partial<MosquittoOptions>): void {
    this.opts = { ...this.opts, ...opts };
  }

  /** SIGTERM: mosquitto saves its persistence file and exits. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    this.proc = undefined;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get output(): string {
    return this.log;
  }
}
