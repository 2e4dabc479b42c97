export * from './sample';
export * from './errors';
export * from './lifecycle';
export * from './clock';
export * from './backoff';
export * from './version';
export * from './typed-emitter';
export * from './source';
