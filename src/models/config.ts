import { z } from 'zod';

/** The model layer: registry roots, trust, batching, rollout. Paths are relative to the config file. */
export const modelsConfig = z.strictObject({
  installDir: z.string().optional()
    .describe('Writable registry root for installed versions and the registry state; default <dataDir>/models. gateway.modelsDir (shipped models) is only read'),
  trustedKeys: z.array(z.string()).default([])
    .describe('Ed25519 public keys (PEM files, or folders of *.pub) whose model signatures are accepted; <modelsDir>/trusted is always read when present'),
  requireSignature: z.boolean().default(true).describe('Refuse unsigned models (turn off only for development)'),
  maxBatch: z.number().int().min(1).max(4096).default(64).describe('Windows per onnxruntime run (across assets)'),
  threads: z.number().int().min(1).max(64).default(1).describe('onnxruntime intra-op threads per session'),
  inferenceThread: z.enum(['worker', 'main']).default('worker')
    .describe('worker: each model version runs in a worker thread of its own, so a run never blocks polling, MQTT or the OPC-UA server and windows are prepared while the previous batch is scored; main: in the gateway thread (one thread fewer)'),
  probationWindows: z.number().int().min(0).default(50)
    .describe('After a hot swap the previous version stays loaded this many windows; a NaN or out-of-range output meanwhile rolls back'),
  shadowTolerance: z.number().min(0).default(0.1).describe('Shadow scores disagree when they differ by more than this share of the active score (or cross the threshold differently)'),
  rescanIntervalMs: z.number().int().min(0).default(30_000).describe('Look for new versions on disk this often (0 = only on demand)'),
});

export type ModelsConfig = z.infer<typeof modelsConfig>;
export type ModelsConfigInput = z.input<typeof modelsConfig>;
