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
