import { z } from 'zod';

export const embeddedBrokerConfig = z.strictObject({
  enabled: z.boolean().default(false).describe('Run an embedded aedes broker standing in for the cloud (demo only; MQTT 3.1.1)'),
  host: z.string().default('127.0.0.1').describe('Listen address'),
  port: z.number().int().min(0).max(65535).default(1883).describe('Listen port; 0 picks a free one'),
});
export type EmbeddedBrokerConfig = z.infer<typeof embeddedBrokerConfig>;
