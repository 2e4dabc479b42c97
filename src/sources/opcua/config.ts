import { z } from 'zod';
import { DEFAULT_RECONNECT, reconnectConfig } from '../reconnect-config';

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
    samplingIntervalMs: z.number().int().min(0).optional().describe('Server-side sampling interval; defaults to the source samplingIntervalMs'),
    pollIntervalMs: z.number().int().min(10).optional().describe('mode poll: Read cycle of this node; defaults to the source pollIntervalMs'),
    queueSize: z.number().int().min(1).max(10000).default(10).describe('Server-side queue of values between publishes'),
    discardOldest: z.boolean().default(true).describe('When the queue is full, drop the oldest value (true) or the newest (false)'),
    deadband: z
      .strictObject({ type: z.enum(['absolute', 'percent']), value: z.number().min(0) })
      .optional()
      .describe('DataChangeFilter deadband; percent needs an EURange on the server node'),
    trigger: z.enum(['status', 'status-value', 'status-value-timestamp']).default('status-value').describe('DataChangeFilter trigger'),
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
  trustUnknownServerCertificate: z
    .boolean()
    .default(false)
    .describe('Trust on first use: accept and store an unknown server certificate (commissioning only; otherwise use "pdm-gateway pki trust")'),
  mode: z.enum(['subscribe', 'poll']).default('subscribe').describe('poll = cyclic Read for servers with weak subscription support'),
  publishingIntervalMs: z.number().int().min(10).default(500),
  samplingIntervalMs: z.number().int().min(0).default(250),
  pollIntervalMs: z.number().int().min(10).default(1000),
  // Why 2000 and not 0 (no limit): node-opcua decodes a whole publish response at once, several
  // objects per notification. An unbounded response of 10,000 changes outgrows V8's young
  // generation while it is decoded, so its objects are promoted and die in the old generation,
  // which V8 then lets grow: 10k tags at 100 ms peaked at ~300 MB RSS unbounded, ~193 MB at 2000
  // and less CPU per sample, scavenges being shorter (docs/benchmarks.md, "Ingest"). 1000 halved what node-opcua's
  // server delivered; 3000 peaked at 230-238 MB.
  maxNotificationsPerPublish: z
    .number()
    .int()
    .min(0)
    .default(2000)
    .describe('Most notifications the server may put in one publish response (0 = no limit); more go out in the next responses at once. Bounds the memory a burst of changes takes'),
  keepAliveCount: z
    .number()
    .int()
    .min(1)
    .default(5)
    .describe('Publishing intervals without data before the server sends a keep-alive; a subscription silent for 2 keep-alives + 2 s is taken as lost (default 500 ms x 5: 7 s)'),
  connectTimeoutMs: z
    .number()
    .int()
    .min(100)
    .default(5000)
    .describe('Longest wait for the server while connecting (TCP, Hello, secure channel); an attempt that times out is followed by the next one at once'),
  requestTimeoutMs: z.number().int().min(100).default(10000).describe('A service call (Read, Browse, CreateMonitoredItems) slower than this fails and the session is rebuilt'),
  sessionTimeoutMs: z.number().int().min(1000).default(60000),
  retryRejectedNodesMs: z.number().int().min(100).default(30000).describe('How often nodes the server refused (unknown NodeId, browse path not found) are tried again'),
  reconnect: reconnectConfig.default(DEFAULT_RECONNECT),
  nodes: z
    .array(opcuaNode)
    .min(1)
    .superRefine((nodes, ctx) => {
      const names = new Set<string>();
      nodes.forEach((n, i) => {
        if (names.has(n.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate node name "${n.name}"` });
        names.add(n.name);
      });
    }),
});

export type OpcuaSourceConfig = z.infer<typeof opcuaSourceConfig>;
export type OpcuaNodeConfig = z.infer<typeof opcuaNode>;
