import { loadConfig } from '../config/load';

/** The data directory a command works on: `--data-dir`, else the one of `--config`, else ./data. */
export function dataDirOf(opts: { dataDir?: string; config?: string }): string {
  if (opts.dataDir) return opts.dataDir;
  if (opts.config) return loadConfig(opts.config).dataDir;
  return './data';
}
