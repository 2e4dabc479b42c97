export * from './manifest';
export * from './config';
export * from './errors';
export { ModelService, type ModelServiceOptions, type InstallResult, type ModelInfo } from './service';
export { LoadedModel } from './runner';
export { verifyAndLoad } from './loader';
export { ModelStore } from './registry';
export { readManifest, writeManifest } from './manifest-io';
export { canonicalJson, generateSigningKey, keyIdOf, loadTrustedKeys, signManifest, verifyManifest } from './signing';
