import type { LoadedConfig } from '../config/load';
import { silentLogger } from '../observability/logger';
import { startOfflineModels } from './offline-models';

export interface ModelCheck {
  /** One line per model an asset binds: the version that would score, or why none would. */
  readonly lines: string[];
  /** Every bound model has a version that loads. */
  readonly ok: boolean;
}

/**
 * `check-config --models`: the gateway's own start-up check of every model the assets bind (manifest,
 * sha256, signature by a trusted key, graph against manifest, probe, and each binding's channels and
 * window), run before deployment, with sessions in this thread. Loading writes nothing (the registry
 * writes only on install, promote and rollback), so the check is safe beside a running gateway.
 */
export async function checkModels(loaded: LoadedConfig): Promise<ModelCheck> {
  const { config } = loaded;
  const users = new Map<string, string[]>();
  for (const a of config.assets) {
    for (const b of a.models) {
      for (const [id, how] of [[b.id, b.role], ...(b.shadow ? [[b.shadow, `${b.role}, shadow`]] : [])] as const) {
        users.set(id, [...(users.get(id) ?? []), `${a.id} (${how})`]);
      }
    }
  }
  const lines = [`models (shipped ${loaded.modelsDir}, installed ${loaded.installDir}):`];
  if (users.size === 0) return { lines: [...lines, '  no asset binds a model'], ok: true };
  const svc = await startOfflineModels(loaded, config.assets, silentLogger(), 'main');
  let ok = true;
  try {
    for (const m of svc.models()) {
      const by = `for ${(users.get(m.id) ?? []).join(', ')}`;
      if (m.version === undefined) {
        ok = false;
        lines.push(`  ${m.id} REFUSED ${by}: ${m.error ?? 'not loaded'}`);
      } else {
        lines.push(`  ${m.id} ${m.version} (signed by ${m.keyId ?? 'nobody: models.requireSignature is off'}) ${by}${m.candidate ? `; candidate ${m.candidate} in shadow` : ''}`);
      }
    }
  } finally {
    await svc.stop();
  }
  return { lines, ok };
}
