import type { IClientOptions } from 'mqtt';
import pino from 'pino';
import { EmbeddedBroker } from '../../src/broker';
import { CloudIngest } from '../../src/cloud/ingest';
import { silentLogger, type Logger } from '../../src/observability/logger';
import { Uplink, uplinkConfig, type UplinkConfig } from '../../src/uplink';
import type { Outbox } from '../../src/outbox';
import type { Clock } from '../../src/core/clock';

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startBroker(port = 0): Promise<EmbeddedBroker> {
  const b = new EmbeddedBroker({ host: '127.0.0.1', port, logger: silentLogger() });
  await b.start();
  return b;
}

export async function startIngest(url: string, clientId = `ingest-${Math.random().toString(36).slice(2)}`, mqtt: IClientOptions = {}): Promise<CloudIngest> {
  const ing = new CloudIngest({ url, file: ':memory:', logger: silentLogger(), clientId, mqtt: { protocolVersion: 4, ...mqtt } });
  await ing.start();
  return ing;
}

export function makeUplink(outbox: Outbox, url: string, cfg: Partial<Parameters<typeof uplinkConfig.parse>[0]> = {}, clock?: Clock, gatewayId = 'gw1', logger: Logger = silentLogger()): Uplink {
  const config: UplinkConfig = uplinkConfig.parse({ url, protocolVersion: 4, reconnect: { initialMs: 100, maxMs: 500 }, batch: { maxDelayMs: 0 }, ...cfg });
  return new Uplink({ config, outbox, gatewayId, site: 's1', logger, clock });
}

export type LogLine = { level: number; msg: string } & Record<string, unknown>;

/** A real pino logger whose JSON lines are kept, parsed, in `lines`. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

/** Stops what a test started, in the order given (the uplink before its outbox, the broker's side last). */
export async function stopAll(...parts: ({ stop(): Promise<unknown> } | undefined)[]): Promise<void> {
  for (const p of parts) await p?.stop();
}
