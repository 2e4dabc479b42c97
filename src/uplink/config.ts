import { z } from 'zod';

export const uplinkConfig = z.strictObject({
  enabled: z.boolean().default(true),
  url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'expected mqtt://, mqtts://, ws:// or wss:// URL').describe('Broker URL'),
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5).describe('4 = MQTT 3.1.1, 5 = MQTT 5 (the embedded aedes broker speaks 4 only)'),
  clientId: z.string().min(1).max(128).optional().describe('Stable client id for the persistent session; defaults to pdm-<gateway.id>'),
  username: z.string().optional().describe('Use ${ENV_VAR}'),
  password: z.string().optional().describe('Use ${ENV_VAR}; never written to logs'),
  tls: z
    .strictObject({
      caFile: z.string().optional().describe('PEM CA bundle that signed the broker certificate'),
      certFile: z.string().optional().describe('PEM client certificate (mutual TLS)'),
      keyFile: z.string().optional().describe('PEM client private key (mutual TLS)'),
      rejectUnauthorized: z.boolean().default(true),
    })
    .optional()
    .describe('TLS settings; use an mqtts:// URL'),
  topicPrefix: z.string().regex(/^[^+#]+$/, 'no MQTT wildcards').default('pdm/v1').describe('Topics: <prefix>/<site>/<gateway>/<class>/<asset>'),
  qos: z
    .union([z.literal(0), z.literal(1)])
    .default(1)
    .describe('1 = a record is acked in the outbox only after PUBACK; 0 = fire and forget: acked when written to the socket, so records in flight when the link breaks are lost (needs allowLoss: true)'),
  allowLoss: z.boolean().default(false).describe('Must be true to run with qos 0, which gives up the no-loss promise (records acked without a PUBACK)'),
  keepaliveSeconds: z.number().int().min(5).default(30),
  sessionExpirySeconds: z.number().int().min(0).default(7 * 24 * 3600).describe('MQTT 5 session expiry for the persistent session'),
  reconnect: z
    .strictObject({
      initialMs: z.number().int().min(10).default(1000),
      maxMs: z.number().int().min(10).default(60_000),
    })
    .default({ initialMs: 1000, maxMs: 60_000 })
    .describe('Reconnect backoff (exponential with jitter)'),
  batch: z
    .strictObject({
      maxRecords: z.number().int().min(1).default(500),
      maxBytes: z.number().int().min(256).default(256 * 1024),
      maxDelayMs: z.number().int().min(0).default(1000).describe('Wait up to this long to fill a batch (alarms and gaps never wait)'),
      deflate: z.boolean().default(false).describe('zlib-deflate message bodies (first byte 0x78 instead of "{")'),
    })
    .default({ maxRecords: 500, maxBytes: 256 * 1024, maxDelayMs: 1000, deflate: false }),
  readAhead: z
    .boolean()
    .default(false)
    .describe(
      'Read outbox blocks ahead, and delete acked ones, on a worker thread with its own SQLite connection, so the publishing thread only frames and publishes (no effect on a :memory: outbox). Cuts the publishing thread\'s CPU per record by about a third; total CPU does not fall, so it pays only with a spare core (docs/benchmarks.md, "Uplink drain")',
    ),
  inflight: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(64)
    .describe("Unacknowledged MQTT messages at once (over MQTT 5, at most the broker's Receive Maximum less one). In paired runs a backlog drained 1.2-1.8x faster at 64 than at 16 (docs/benchmarks.md, \"Uplink drain\")"),
  ackTimeoutMs: z.number().int().min(1000).default(30_000).describe('A message without PUBACK for this long while connected forces a reconnect (and a re-send)'),
  rate: z
    .strictObject({
      messagesPerSecond: z.number().positive().optional(),
      bytesPerSecond: z.number().positive().optional(),
      dailyBudgetBytes: z.number().positive().optional().describe('Cellular data budget per UTC day; telemetry is thinned first'),
      thinAtRatio: z.number().min(0).max(1).default(0.8).describe('Share of the daily budget after which telemetry is thinned'),
      thinKeepEvery: z.number().int().min(2).default(10).describe('When thinning for the budget, keep every k-th telemetry record'),
    })
    .default({ thinAtRatio: 0.8, thinKeepEvery: 10 }),
  downlink: z
    .strictObject({
      enabled: z.boolean().default(true),
      allow: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/)).default(['ping', 'stats', 'flush']).describe('Commands accepted; anything else is rejected and counted'),
      hmacKey: z.string().min(16).optional().describe('Use ${ENV_VAR}. When set, commands must carry ts and sig = hex HMAC-SHA256'),
      maxAgeSeconds: z.number().int().positive().default(300).describe('Signed commands older than this (or replayed ids) are rejected'),
    })
    .default({ enabled: true, allow: ['ping', 'stats', 'flush'], maxAgeSeconds: 300 }),
}).refine((c) => c.qos !== 0 || c.allowLoss, {
  path: ['allowLoss'],
  message: 'qos 0 acks records in the outbox without a PUBACK, so records in flight when the link breaks are lost: use qos: 1, or set allowLoss: true to accept the loss',
});
export type UplinkConfig = z.infer<typeof uplinkConfig>;
