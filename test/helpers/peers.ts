import { spawnSync } from 'node:child_process';

/** Interop tests need Debian peers that .ci/run installs; fail with the fix when one is missing. */
export function requireCommand(cmd: string, aptPackage: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) throw new Error(`${cmd} not found: install it with "apt-get install -y ${aptPackage}" (.ci/run does)`);
  return path;
}
