import { z } from 'zod';

export const scadaConfig = z.strictObject({
  enabled: z.boolean().default(false),
  port: z.number().int().min(1).max(65535).default(4841),
  allowAnonymous: z.boolean().default(false).describe('Anonymous login; off unless the config says so'),
  allowUnencrypted: z.boolean().default(false).describe('SecurityMode None endpoint; off unless the config says so'),
  users: z.array(z.strictObject({ username: z.string().min(1), password: z.string().min(1) })).default([]),
});
export type ScadaConfig = z.infer<typeof scadaConfig>;
