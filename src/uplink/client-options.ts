import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { FatalError, errorMessage } from '../core/errors';
import type { UplinkConfig } from './config';

export function statusPayload(state: 'online' | 'offline', gateway: string, ts: number): string {
  return JSON.stringify({ schema: 1, gateway, state, ts });
}

function readPem(path: string | undefined, configPath: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new FatalError(configPath, `cannot read ${path}: ${errorMessage(e)}`);
  }
}

/**
 * mqtt.js options for a persistent session (clean=false, stable client id) with a retained
 * offline last will. Reconnects are driven by the Uplink's own backoff, not mqtt.js' fixed period.
 */
export function clientOptions(cfg: UplinkConfig, clientId: string, statusTopic: string, gateway: string, now: number): IClientOptions {
  const opts: IClientOptions = {
    clientId,
    clean: false,
    protocolVersion: cfg.protocolVersion,
    keepalive: cfg.keepaliveSeconds,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    resubscribe: true,
    will: { topic: statusTopic, payload: Buffer.from(statusPayload('offline', gateway, now)), qos: 1, retain: true },
  };
  if (cfg.protocolVersion === 5) opts.properties = { sessionExpiryInterval: cfg.sessionExpirySeconds };
  if (cfg.username !== undefined) opts.username = cfg.username;
  if (cfg.password !== undefined) opts.password = cfg.password;
  if (cfg.tls) {
    const ca = readPem(cfg.tls.caFile, 'uplink.tls.caFile');
    const cert = readPem(cfg.tls.certFile, 'uplink.tls.certFile');
    const key = readPem(cfg.tls.keyFile, 'uplink.tls.keyFile');
    if ((cert === undefined) !== (key === undefined)) throw new FatalError('uplink.tls', 'certFile and keyFile go together (mutual TLS needs both)');
    if (ca) opts.ca = ca;
    if (cert) opts.cert = cert;
    if (key) opts.key = key;
    opts.rejectUnauthorized = cfg.tls.rejectUnauthorized;
  }
  return opts;
}

/**
 * Data messages allowed in flight: the configured window, lowered to the broker's Receive Maximum
 * (MQTT 5 CONNACK) less one, which stays free for the QoS 1 status and command replies. A broker
 * may disconnect a client that exceeds it (0x93), and mqtt.js does not enforce it on publish.
 */
export function inflightWindow(configured: number, receiveMaximum: number | undefined): number {
  if (receiveMaximum === undefined) return configured;
  return Math.max(1, Math.min(configured, receiveMaximum - 1));
}
