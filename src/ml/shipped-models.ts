import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The package's root: the nearest folder above this file whose package.json is pdm-gateway's
 * (src/ml under ts-node/jest, dist/src/ml when built, node_modules/pdm-gateway/... installed).
 */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'pdm-gateway') return dir;
    if (dirname(dir) === dir) throw new Error(`no pdm-gateway package.json above ${from}`);
  }
}

/** A model shipped with the package (models/<id>), wherever the command is run from. */
export function shippedModelDir(id: string): string {
  return join(packageRoot(), 'models', id);
}
