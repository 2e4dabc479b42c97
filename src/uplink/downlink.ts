import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../core/clock';
import { errorMessage } from '../core/errors';
import type { Logger } from '../observability/logger';
import type { UplinkConfig } from './config';

/** A downlink command (docs/mqtt.md). `ts` and `sig` are required when an HMAC key is set. */
export const downlinkCommand = z.strictObject({
  schema: z.literal(1),
  id: z.string().min(1).max(128),
  cmd: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
  args: z.record(z.string(), z.unknown()).optional(),
  ts: z.number().int().optional(),
  sig: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type DownlinkCommand = z.infer<typeof downlinkCommand>;

export type CommandHandler = (args: Readonly<Record<string, unknown>>) => unknown;

export interface CommandReply {
  readonly schema: 1;
  readonly id: string;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/** The string a command's HMAC covers; args keep the key order they were sent with. */
export function signedText(c: Pick<DownlinkCommand, 'id' | 'cmd' | 'ts' | 'args'>): string {
  return `${c.id}\n${c.cmd}\n${c.ts ?? ''}\n${JSON.stringify(c.args ?? {})}`;
}

export function signCommand(key: string, c: Pick<DownlinkCommand, 'id' | 'cmd' | 'ts' | 'args'>): string {
  return createHmac('sha256', key).update(signedText(c)).digest('hex');
}

const SEEN_IDS = 1000;

/**
 * Checks and runs downlink commands. A command runs only when it parses, is in the allow list,
 * has a handler, and (with a key) carries a fresh, valid signature and an unseen id. Everything
 * else is rejected, logged and counted, never acted on.
 */
export class Downlink {
  private readonly handlers = new Map<string, CommandHandler>();
  private readonly seen = new Set<string>();
  readonly counters = { commands: 0, commandsRejected: 0, commandsMalformed: 0, commandsFailed: 0 };

  constructor(
    private readonly cfg: UplinkConfig['downlink'],
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly topic: string,
  ) {}

  register(cmd: string, handler: CommandHandler): void {
    this.handlers.set(cmd, handler);
  }

  /** Returns the reply to publish, or undefined for a message without a usable id. */
  async handle(body: Buffer): Promise<CommandReply | undefined> {
    let c: DownlinkCommand;
    try {
      c = downlinkCommand.parse(JSON.parse(body.toString('utf8')));
    } catch (e) {
      this.counters.commandsMalformed++;
      this.logger.warn({ topic: this.topic, bytes: body.length, reason: errorMessage(e).slice(0, 300) }, 'uplink: malformed downlink message rejected');
      return undefined;
    }
    const denied = this.authorise(c);
    if (denied) {
      this.counters.commandsRejected++;
      this.logger.warn({ topic: this.topic, id: c.id, cmd: c.cmd, reason: denied }, 'uplink: downlink command rejected');
      return { schema: 1, id: c.id, ok: false, error: `rejected: ${denied}` };
    }
    this.counters.commands++;
    try {
      const result = await this.handlers.get(c.cmd)!(c.args ?? {});
      this.logger.info({ id: c.id, cmd: c.cmd }, 'uplink: downlink command done');
      return { schema: 1, id: c.id, ok: true, result };
    } catch (e) {
      this.counters.commandsFailed++;
      this.logger.warn({ id: c.id, cmd: c.cmd, err: errorMessage(e) }, 'uplink: downlink command failed');
      return { schema: 1, id: c.id, ok: false, error: errorMessage(e) };
    }
  }

  private authorise(c: DownlinkCommand): string | undefined {
    if (!this.cfg.allow.includes(c.cmd)) return `command "${c.cmd}" is not in uplink.downlink.allow`;
    if (!this.handlers.has(c.cmd)) return `command "${c.cmd}" has no handler`;
    const key = this.cfg.hmacKey;
    if (key === undefined) return undefined;
    if (c.ts === undefined || c.sig === undefined) return 'unsigned (ts and sig are required)';
    if (Math.abs(this.clock.now() - c.ts) > this.cfg.maxAgeSeconds * 1000) return `stale (ts ${c.ts} is more than ${this.cfg.maxAgeSeconds}s away)`;
    const want = Buffer.from(signCommand(key, c), 'hex');
    if (!timingSafeEqual(want, Buffer.from(c.sig, 'hex'))) return 'bad signature';
    if (this.seen.has(c.id)) return `replayed id "${c.id}"`;
    this.seen.add(c.id);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
    return undefined;
  }
}
