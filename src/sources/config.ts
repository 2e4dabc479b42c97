import { z } from 'zod';
import { opcuaSourceConfig } from './opcua/config';
import { modbusSourceConfig } from './modbus/config';

export const sourceConfig = z.discriminatedUnion("type", [opcuaSourceConfig, modbusSourceConfig]);
export type SourceConfig = z.infer<typeof sourceConfig>;
