/** A throwaway Mosquitto for benches: temp config, free port, no persistence. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { canConnect, freePort } from '../test/helpers/ports';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchBroker {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startMosquitto(bin = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto'): Promise<BenchBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-bench-mosq-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  const user = process.getuid?.() === 0 ? ['user root'] : [];
  writeFileSync(conf, [...user, 'persistence false', 'max_queued_messages 0', 'max_inflight_messages 0', 'log_type error', `listener ${port} 127.0.0.1`, 'allow_anonymous true', ''].join('\n'));
  const proc: ChildProcess = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  const end = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (proc.exitCode !== null || Date.now() > end) throw new Error(`mosquitto (${bin}) did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: proc.pid!,
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
