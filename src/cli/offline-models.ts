import type { AssetConfig } from '../assets/config';
import type { LoadedConfig } from '../config/load';
import { ModelService } from '../models/service';
import type { Logger } from '../observability/logger';

/**
 * The gateway's model service over a config's models, for a command that runs beside (or instead of)
 * a gateway: no rescan, and baseline calibrations kept in memory, so it never writes where a running
 * gateway keeps its own. Started; the caller stops it.
 */
export async function startOfflineModels(loaded: LoadedConfig, assets: readonly AssetConfig[], logger: Logger, inferenceThread = loaded.config.models.inferenceThread): Promise<ModelService> {
  const svc = new ModelService({
    config: { ...loaded.config.models, rescanIntervalMs: 0, inferenceThread },
    modelsDir: loaded.modelsDir, installDir: loaded.installDir, assets, logger, persistBaselines: false,
  });
  await svc.start();
  return svc;
}
