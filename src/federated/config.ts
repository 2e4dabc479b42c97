import { z } from 'zod';

export const federatedConfig = z.strictObject({
  enabled: z.boolean().default(false),
  roundIntervalMinutes: z.number().positive().default(60),
  clipNorm: z.number().positive().default(1),
  noiseMultiplier: z.number().min(0).default(0),
  quantizeBits: z.union([z.literal(8), z.literal(16), z.literal(32)]).default(8),
  topKFraction: z.number().min(0).max(1).default(1),
  trustedKeys: z.array(z.string()).default([]).describe('Ed25519 public keys (PEM files) that may sign global models'),
});
export type FederatedConfig = z.infer<typeof federatedConfig>;
