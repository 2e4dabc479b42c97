export * from './builder';
export * from './reader';
export { OnnxDataType, type OnnxDataTypeName } from './schema';
