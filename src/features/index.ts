export * from './stats';
export * from './spectral';
export * from './compute';
