import { isAbsolute, resolve } from 'node:path';
import type { SimulatorConfig } from './config';

/** Resolves the simulator's file paths (replay file, PKI folder) against the config file's folder. */
export function resolveSimulatorPaths(cfg: SimulatorConfig, baseDir: string): SimulatorConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...cfg,
    ...(cfg.pkiDir ? { pkiDir: abs(cfg.pkiDir) } : {}),
    ...(cfg.replay ? { replay: { ...cfg.replay, file: abs(cfg.replay.file) } } : {}),
  };
}
