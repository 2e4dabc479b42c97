import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE } from './manifest-io';
import { compareVersions } from './semver';

/**
 * Model versions on disk. Two roots: the shipped models (gateway.modelsDir, read only) and the
 * install root (writable, under the data dir). In each root:
 *
 *   <root>/<id>/manifest.json + model.onnx                  a version (the shipped one)
 *   <root>/<id>/versions/<version>/manifest.json + model.onnx  further versions
 *
 * and in the shipped root, a compressed variant as `train` writes it beside its parent:
 * <root>/<parent>/variants/<name>/, id <parent>-<name> (e.g. cmapss-rul-int8).
 *
 * The install root also holds registry-state.json: the active version per id and the versions
 * rejected at run time (rolled back), so a restart does not pick a bad version again.
 */
export interface VersionDir {
  readonly id: string;
  readonly version: string;
  readonly dir: string;
}

interface RegistryState {
  active: Record<string, string>;
  rejected: Record<string, Record<string, string>>;
}

export const STATE_FILE = 'registry-state.json';

export class ModelStore {
  private state: RegistryState;

  constructor(readonly shippedRoot: string, readonly installRoot: string) {
    this.state = this.readState();
  }

  /** Every version folder of `id`, newest first; the install root wins over a shipped duplicate. */
  versions(id: string): VersionDir[] {
    return this.scan(id).versions;
  }

  /** Folders of `id` holding a manifest.json whose version cannot be read (reported by the caller). */
  broken(id: string): string[] {
    return this.scan(id).broken;
  }

  private scan(id: string): { versions: VersionDir[]; broken: string[] } {
    const found = new Map<string, VersionDir>();
    const broken: string[] = [];
    for (const root of [this.shippedRoot, this.installRoot]) {
      const base = join(root, id);
      const dirs = [base, ...(root === this.shippedRoot ? shippedVariants(root, id) : [])];
      const vdir = join(base, 'versions');
      if (existsSync(vdir)) for (const v of readdirSync(vdir).sort()) if (!v.startsWith('.')) dirs.push(join(vdir, v));
      for (const dir of dirs) {
        if (!existsSync(join(dir, MANIFEST_FILE))) continue;
        const version = declaredVersion(dir);
        if (version) found.set(version, { id, version, dir });
        else broken.push(dir);
      }
    }
    return { versions: [...found.values()].sort((a, b) => compareVersions(b.version, a.version)), broken };
  }

  /** The order to try at start: the recorded active version first, then newest first; rejected ones left out. */
  candidates(id: string): VersionDir[] {
    const rejected = this.state.rejected[id] ?? {};
    const all = this.versions(id).filter((v) => !(v.version in rejected));
    const active = this.state.active[id];
    return [...all.filter((v) => v.version === active), ...all.filter((v) => v.version !== active)];
  }

  activeVersion(id: string): string | undefined {
    return this.state.active[id];
  }

  rejectedReason(id: string, version: string): string | undefined {
    return this.state.rejected[id]?.[version];
  }

  setActive(id: string, version: string): void {
    this.state.active[id] = version;
    this.writeState();
  }

  reject(id: string, version: string, reason: string): void {
    (this.state.rejected[id] ??= {})[version] = reason;
    if (this.state.active[id] === version) delete this.state.active[id];
    this.writeState();
  }

  /**
   * Copies a model folder into <installRoot>/<id>/versions/<version> atomically (a temporary
   * folder renamed into place), so a scan never sees half a version.
   */
  copyIn(src: string, id: string, version: string): string {
    const parent = join(this.installRoot, id, 'versions');
    const dest = join(parent, version);
    if (existsSync(dest)) throw new Error(`${id}@${version} is already installed at ${dest}`);
    mkdirSync(parent, { recursive: true });
    const tmp = join(parent, `.${version}.${process.pid}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    cpSync(src, tmp, { recursive: true });
    renameSync(tmp, dest);
    return dest;
  }

  private readState(): RegistryState {
    const path = join(this.installRoot, STATE_FILE);
    try {
      const s = JSON.parse(readFileSync(path, 'utf8')) as Partial<RegistryState>;
      return { active: s.active ?? {}, rejected: s.rejected ?? {} };
    } catch {
      return { active: {}, rejected: {} };
    }
  }

  private writeState(): void {
    mkdirSync(this.installRoot, { recursive: true });
    const path = join(this.installRoot, STATE_FILE);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(tmp, path);
  }
}

/** The version a folder's manifest declares, or undefined when there is no readable one. */
function declaredVersion(dir: string): string | undefined {
  const p = join(dir, MANIFEST_FILE);
  if (!existsSync(p) || !statSync(dir).isDirectory()) return undefined;
  try {
    const v = (JSON.parse(readFileSync(p, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The shipped variant folders that id `<parent>-<name>` can name (a hyphen may sit in the parent or the name). */
function shippedVariants(root: string, id: string): string[] {
  const out: string[] = [];
  for (let i = id.indexOf('-'); i > 0; i = id.indexOf('-', i + 1)) {
    const dir = join(root, id.slice(0, i), 'variants', id.slice(i + 1));
    if (existsSync(join(dir, MANIFEST_FILE))) out.push(dir);
  }
  return out;
}
