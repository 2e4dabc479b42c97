import { z } from 'zod';

export const uplinkConfig = z.strictObject({
  enabled: z.boolean().default(true),
  url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'expected mqtt://, mqtts://, ws:// or wss:// URL').describe('Broker URL'),
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5).describe('4 = MQTT 3.1.1, 5 = MQTT 5'),
  clientId: z.string().optional().describe('Stable client id for the persistent session; defaults to pdm-<gateway.id>'),
  username: z.string().optional(),
  password: z.string().optional().describe('Use ${ENV_VAR}; never written to logs'),
  tls: z
    .strictObject({
      caFile: z.string().optional(),
      certFile: z.string().optional(),
      keyFile: z.string().optional(),
      rejectUnauthorized: z.boolean().default(true),
    })
    .optional(),
  topicPrefix: z.string().default('pdm/v1'),
  qos: z.union([z.literal(0), z.literal(1)]).default(1),
  keepaliveSeconds: z.number().int().min(5).default(30),
  batch: z
    .strictObject({
      maxRecords: z.number().int().min(1).default(500),
      maxBytes: z.number().int().min(256).default(256 * 1024),
      maxDelayMs: z.number().int().min(0).default(1000),
      deflate: z.boolean().default(false),
    })
    .default({ maxRecords: 500, maxBytes: 256 * 1024, maxDelayMs: 1000, deflate: false }),
  inflight: z.number().int().min(1).max(1000).default(16).describe('Unacknowledged MQTT messages at once'),
  rate: z
    .strictObject({
      messagesPerSecond: z.number().positive().optional(),
      bytesPerSecond: z.number().positive().optional(),
      dailyBudgetBytes: z.number().positive().optional().describe('Cellular data budget; telemetry is thinned first'),
    })
    .default({}),
});
export type UplinkConfig = z.infer<typeof uplinkConfig>;
