import { z } from 'zod';
import { DEFAULT_RECONNECT, reconnectConfig } from '../reconnect-config';

export const modbusArea = z.enum(['holding', 'input', 'coil', 'discrete']);
export const modbusType = z.enum(['bool', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64', 'string', 'bit']);
export const modbusOrder = z.enum(['ABCD', 'CDAB', 'BADC', 'DCBA']);

export const modbusRegister = z
  .strictObject({
    name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'),
    unitId: z.number().int().min(0).max(255).optional().describe('Overrides the device unit id'),
    area: modbusArea.default('holding'),
    address: z.number().int().min(0).max(65535),
    type: modbusType.default('uint16'),
    order: modbusOrder.default('ABCD').describe('Byte/word order of multi-register values; A is the most significant byte'),
    length: z.number().int().min(1).max(125).optional().describe('Registers of a string'),
    bit: z.number().int().min(0).max(15).optional().describe('Bit index for type bit'),
    scale: z.number().default(1).describe('value = raw * scale + offset'),
    offset: z.number().default(0),
    units: z.string().optional(),
    deadband: z.number().min(0).optional().describe('Emit only when the scaled value moved by more than this (or its quality changed)'),
    pollIntervalMs: z.number().int().min(10).optional().describe('Overrides the device poll interval for this tag'),
  })
  .refine((r) => r.type !== 'string' || r.length !== undefined, { message: 'type string needs length (registers)', path: ['length'] })
  .refine((r) => r.type !== 'bit' || r.bit !== undefined, { message: 'type bit needs bit (0..15)', path: ['bit'] })
  .refine((r) => !((r.area === 'coil' || r.area === 'discrete') && r.type !== 'bool'), {
    message: 'coils and discrete inputs have type bool',
    path: ['type'],
  });

/** Per-unit settings on a shared connection (a TCP gateway or an RTU line with several slaves). */
const modbusDevice = z.strictObject({
  unitId: z.number().int().min(0).max(255),
  pollIntervalMs: z.number().int().min(10).optional(),
  timeoutMs: z.number().int().min(10).optional(),
  retries: z.number().int().min(0).max(10).optional(),
  interRequestDelayMs: z.number().int().min(0).optional().describe('Pause after each request to this unit (slow RTU devices)'),
});

const serialConfig = z.strictObject({
  path: z.string().min(1).describe('Serial device, e.g. /dev/ttyUSB0'),
  baudRate: z.number().int().default(19200),
  parity: z.enum(['none', 'even', 'odd']).default('even'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
});

export const modbusSourceConfig = z
  .strictObject({
    id: z.string().min(1).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only'),
    type: z.literal('modbus'),
    transport: z.enum(['tcp', 'rtu']).default('tcp'),
    host: z.string().min(1).optional().describe('TCP: device or gateway host'),
    port: z.number().int().min(1).max(65535).default(502),
    serial: serialConfig.optional().describe('RTU: serial line settings'),
    unitId: z.number().int().min(0).max(255).default(1),
    pollIntervalMs: z.number().int().min(10).default(1000),
    timeoutMs: z.number().int().min(10).default(1000),
    retries: z.number().int().min(0).max(10).default(1),
    interRequestDelayMs: z.number().int().min(0).default(0),
    maxGap: z.number().int().min(0).max(124).default(8).describe('Unused registers a coalesced read may span'),
    maxGapBits: z.number().int().min(0).max(1999).default(128).describe('Unused coils / discrete inputs a coalesced read may span'),
    maxRegistersPerRead: z.number().int().min(1).max(125).default(125).describe('Protocol limit is 125; some devices accept fewer'),
    maxBitsPerRead: z.number().int().min(1).max(2000).default(2000).describe('Protocol limit is 2000; some devices accept fewer'),
    devices: z.array(modbusDevice).default([]).describe('Per-unit overrides of poll interval, timeout, retries and delay'),
    reconnect: reconnectConfig.default(DEFAULT_RECONNECT),
    registers: z.array(modbusRegister).min(1),
  })
  .superRefine((d, ctx) => {
    const names = new Set<string>();
    d.registers.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['registers', i, 'name'], message: `duplicate register name "${r.name}"` });
      names.add(r.name);
      if (r.type === 'string' && r.length !== undefined && r.length > d.maxRegistersPerRead) {
        ctx.addIssue({ code: 'custom', path: ['registers', i, 'length'], message: `string of ${r.length} registers exceeds maxRegistersPerRead ${d.maxRegistersPerRead}` });
      }
    });
    const units = new Set<number>();
    d.devices.forEach((u, i) => {
      if (units.has(u.unitId)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'unitId'], message: `duplicate unit id ${u.unitId}` });
      units.add(u.unitId);
    });
  })
  .refine((d) => d.transport !== 'tcp' || d.host !== undefined, { message: 'transport tcp needs host', path: ['host'] })
  .refine((d) => d.transport !== 'rtu' || d.serial !== undefined, { message: 'transport rtu needs serial', path: ['serial'] });

export type ModbusDeviceConfig = z.infer<typeof modbusDevice>;
export type ModbusSourceConfig = z.infer<typeof modbusSourceConfig>;
export type ModbusRegisterConfig = z.infer<typeof modbusRegister>;
