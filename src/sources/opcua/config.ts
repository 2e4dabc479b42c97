import { z } from 'zod';

export const opcuaSecurityMode = z.enum(['None', 'Sign', 'SignAndEncrypt']);
export const opcuaSecurityPolicy = z.enum(['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']);

export const opcuaUserIdentity = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('anonymous') }),
  z.strictObject({ type: z.literal('username'), username: z.string().min(1), password: z.string() }),
  z.strictObject({
    type: z.literal('certificate'),
    certificateFile: z.string().min(1).describe('PEM or DER X.509 user certificate'),
    privateKeyFile: z.string().min(1).describe('PEM private key of the user certificate'),
  }),
]);

export const opcuaNode = z
  .strictObject({
    name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only').describe('Tag name inside this source'),
    nodeId: z.string().min(1).optional().describe('NodeId, e.g. ns=1;s=Pump.Pressure'),
    browsePath: z
      .string()
      .min(1)
      .optional()
      .describe('Browse path from Objects, e.g. /Objects/1:Pump/1:Pressure; re-resolved after a server restart'),
    samplingIntervalMs: z.number().int().min(0).optional(),
    queueSize: z.number().int().min(1).max(10000).default(10),
    discardOldest: z.boolean().default(true),
    deadband: z
      .strictObject({ type: z.enum(['absolute', 'percent']), value: z.number().min(0) })
      .optional(),
    trigger: z.enum(['status', 'status-value', 'status-value-timestamp']).default('status-value'),
    units: z.string().optional(),
  })
  .refine((n) => (n.nodeId === undefined) !== (n.browsePath === undefined), {
    message: 'give exactly one of nodeId or browsePath',
  });

export const opcuaSourceConfig = z.strictObject({
  id: z.string().min(1).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only'),
  type: z.literal('opcua'),
  endpoint: z.string().regex(/^opc\.tcp:\/\/[^/\s]+/, 'expected an opc.tcp://host:port URL'),
  securityMode: opcuaSecurityMode.default('None'),
  securityPolicy: opcuaSecurityPolicy.default('None'),
  userIdentity: opcuaUserIdentity.default({ type: 'anonymous' }),
  mode: z.enum(['subscribe', 'poll']).default('subscribe').describe('poll = cyclic Read for servers with weak subscription support'),
  publishingIntervalMs: z.number().int().min(10).default(500),
  samplingIntervalMs: z.number().int().min(0).default(250),
  pollIntervalMs: z.number().int().min(10).default(1000),
  connectTimeoutMs: z.number().int().min(100).default(10000),
  nodes: z.array(opcuaNode).min(1),
});

export type OpcuaSourceConfig = z.infer<typeof opcuaSourceConfig>;
export type OpcuaNodeConfig = z.infer<typeof opcuaNode>;
