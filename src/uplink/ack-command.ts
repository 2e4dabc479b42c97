import { z } from 'zod';
import type { Acknowledger } from '../health/health-board';
import type { CommandHandler } from './downlink';

/** Arguments of the downlink `ack` command (docs/mqtt.md). */
export const ackArgs = z.strictObject({
  asset: z.string().min(1).max(128),
  key: z.string().min(1).max(256).describe('The alarm key, <asset>/<model>/<condition>'),
  by: z.string().min(1).max(64).optional().describe('Who acknowledges (shown in the acknowledge event)'),
});

/**
 * The downlink `ack` command: acknowledges a live alarm through the health board. It runs behind
 * the same checks as every command (allow list, HMAC, freshness, replay); bad arguments or an
 * unknown asset / alarm throw, so the reply says why and the downlink counts it (commandsFailed).
 */
export function ackCommand(board: Acknowledger): CommandHandler {
  return (args) => {
    const a = ackArgs.safeParse(args);
    if (!a.success) throw new Error(`ack: bad arguments: ${a.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ')}`);
    return board.acknowledge(a.data.asset, a.data.key, a.data.by ?? 'downlink');
  };
}
