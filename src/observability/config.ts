import { z } from 'zod';

export const observabilityConfig = z.strictObject({
  http: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().default('127.0.0.1').describe('Listen address of /metrics and /healthz'),
      port: z.number().int().min(0).max(65535).default(9464),
    })
    .default({ enabled: true, host: '127.0.0.1', port: 9464 }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  statusIntervalMs: z.number().int().min(0).default(5000).describe('Live status line period; 0 = off'),
});
export type ObservabilityConfig = z.infer<typeof observabilityConfig>;
