import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, decodeBody, outboxConfig, type BodyRecord, type NewRecord, type OutboxBlock, type OutboxConfig } from '../../src/outbox';
import { silentLogger } from '../../src/observability/logger';
import type { Clock } from '../../src/core/clock';

export type ConfigInput = Parameters<typeof outboxConfig.parse>[0];

export function makeOutbox(file = ':memory:', config: Partial<OutboxConfig> = {}, clock?: Clock, gatewayId = 'gw1'): Outbox {
  return new Outbox({ file, gatewayId, config: outboxConfig.parse(config), logger: silentLogger(), clock });
}

/** A temp directory removed after the test file. */
export function tempDir(prefix = 'pdm-outbox-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function telemetry(n: number, asset = 'a1', size = 40): { cls: 'telemetry'; asset: string; payload: { i: number; pad: string } }[] {
  return Array.from({ length: n }, (_, i) => ({ cls: 'telemetry' as const, asset, payload: { i, pad: 'x'.repeat(size) } }));
}

/** The records of leased blocks, decoded, in block order. */
export function recordsOf(blocks: OutboxBlock | readonly OutboxBlock[]): BodyRecord[] {
  return (Array.isArray(blocks) ? (blocks as readonly OutboxBlock[]) : [blocks as OutboxBlock]).flatMap((b) => decodeBody(b.body));
}

export const idsOf = (blocks: OutboxBlock | readonly OutboxBlock[]): string[] => recordsOf(blocks).map((r) => r.id);
export const countOf = (blocks: readonly OutboxBlock[]): number => blocks.reduce((a, b) => a + b.count, 0);

/**
 * Appends at `perSecond` every 50 ms (as many records as keep the total on rate: timers drift
 * under load), telemetry over `assets` assets named `<prefix><n % assets>` with an alarm every
 * `alarmEvery` records. `appended` holds the returned ids in order.
 */
export function produce(ob: Outbox, perSecond: number, opts: { alarmEvery: number; assets: number; prefix?: string }): { readonly appended: string[]; stop(): void } {
  const appended: string[] = [];
  const t0 = Date.now();
  let n = 0;
  const timer = setInterval(() => {
    const batch: NewRecord[] = [];
    const due = Math.floor(((Date.now() - t0) * perSecond) / 1000);
    for (; n < due; n++) batch.push({ cls: n % opts.alarmEvery === 0 ? 'alarm' : 'telemetry', asset: `${opts.prefix ?? 'a'}${n % opts.assets}`, payload: { n, v: Math.sin(n) } });
    if (batch.length > 0) appended.push(...ob.append(batch));
  }, 50);
  return { appended, stop: () => clearInterval(timer) };
}
