import { readFileSync } from 'node:fs';

/**
 * CPU seconds (user + system) another process has used so far: utime + stime of /proc/<pid>/stat,
 * in USER_HZ ticks (100 per second on Linux whatever the kernel's own tick).
 */
export function procCpuS(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
}

/**
 * CPU nanoseconds this process's main thread has run (/proc/self/task/<pid>/schedstat, Linux):
 * without the worker threads and V8's helpers that process.cpuUsage() also counts. Undefined
 * where the file does not exist.
 */
export function mainThreadCpuNs(): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/**
 * Extra node flags for a bench phase's process, from the environment, to profile one side:
 * BENCH_NODE_ARGS_OURS for phases named `*ours*`, BENCH_NODE_ARGS_BARE for `*bare*` (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`), split on spaces. None by default.
 */
export function phaseNodeArgs(phase: string): string[] {
  const side = phase.includes('ours') ? 'OURS' : phase.includes('bare') ? 'BARE' : undefined;
  const v = side === undefined ? undefined : process.env[`BENCH_NODE_ARGS_${side}`];
  return v ? v.split(' ').filter((a) => a !== '') : [];
}
