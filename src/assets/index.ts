export * from './config';
export * from './types';
export * from './frame';
export { AssetPipeline, type AssetPipelineEvents, type AssetPipelineOptions } from './pipeline';
export type { AssetStatsSnapshot } from './stats';
export { SampleRouter } from './router';
