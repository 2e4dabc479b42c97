import { z } from 'zod';
import { resolveSignal, SIGNAL_NAMES } from './signals';

export const pumpFault = z.enum(['cavitation', 'bearing-wear', 'valve-closed', 'dropout', 'stuck']);
export type PumpFault = z.infer<typeof pumpFault>;

export const faultSchedule = z
  .strictObject({
    fault: pumpFault,
    atSeconds: z.number().min(0).describe('Simulated seconds after start'),
    durationSeconds: z.number().positive().optional().describe('Absent = until stopped'),
    severity: z.number().min(0).max(1).default(1).describe('0..1; dropout and stuck apply in full above 0'),
    channel: z.string().optional().describe('For dropout / stuck (required there): the affected signal, e.g. Current, Pump1.Current, s4, Fan1.s4'),
  })
  .superRefine((f, ctx) => {
    const perChannel = f.fault === 'dropout' || f.fault === 'stuck';
    if (perChannel && f.channel === undefined) ctx.addIssue({ code: 'custom', path: ['channel'], message: `required for ${f.fault}` });
    if (!perChannel && f.channel !== undefined) ctx.addIssue({ code: 'custom', path: ['channel'], message: `${f.fault} acts on the whole pump and takes no channel, got "${f.channel}"` });
    if (perChannel && f.channel !== undefined && !resolveSignal(f.channel)) {
      ctx.addIssue({ code: 'custom', path: ['channel'], message: `unknown channel, expected one of ${SIGNAL_NAMES.join(', ')}, got "${f.channel}"` });
    }
  });

export const simulatorConfig = z.strictObject({
  enabled: z.boolean().default(false).describe('Start the plant simulator inside the gateway (demo)'),
  host: z.string().default('127.0.0.1').describe('Interface both servers listen on'),
  opcuaPort: z.number().int().min(0).max(65535).default(4840).describe('0 = any free port'),
  modbusPort: z.number().int().min(0).max(65535).default(5020).describe('0 = any free port'),
  timeScale: z.number().positive().default(1).describe('Simulated seconds per real second'),
  seed: z.number().int().default(42),
  updateIntervalMs: z.number().int().min(10).default(100).describe('How often values change (real milliseconds)'),
  pkiDir: z.string().optional().describe("OPC-UA server certificate store; default <tmp>/pdm-gateway-sim/pki"),
  turbofan: z
    .strictObject({
      cyclesPerSecond: z.number().positive().default(1).describe('Engine cycles per simulated second'),
      lifeCycles: z.number().int().min(50).default(250).describe('Cycles from new to failure'),
      restartOnFailure: z.boolean().default(true),
    })
    .default({ cyclesPerSecond: 1, lifeCycles: 250, restartOnFailure: true }),
  faults: z.array(faultSchedule).default([]),
  replay: z
    .strictObject({
      file: z.string().min(1),
      format: z.enum(['cmapss', 'skab']),
      unit: z.number().int().optional().describe('C-MAPSS engine unit to replay'),
      rowsPerSecond: z.number().positive().default(1),
      loop: z.boolean().default(true),
    })
    .optional()
    .describe('Replay a CSV onto the simulator nodes and registers instead of the models'),
});
export type SimulatorConfig = z.infer<typeof simulatorConfig>;
