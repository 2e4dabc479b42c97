import { OPCUAClient, type OPCUACertificateManager } from 'node-opcua';
import type { OpcuaSourceConfig } from './config';
import { securityOptions } from './opcua-security';

/**
 * A node-opcua client for one endpoint. Its own reconnection is off (maxRetry 0) while the first
 * connection is made (the caller's loop owns connecting, with its backoff); enableSessionResume()
 * turns it on once the session and its subscription exist.
 */
export function createOpcuaClient(cfg: OpcuaSourceConfig, cm: OPCUACertificateManager): OPCUAClient {
  return OPCUAClient.create({
    applicationName: 'pdm-gateway',
    clientName: `pdm-gateway/${cfg.id}`,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: cfg.reconnect.initialMs, maxDelay: cfg.reconnect.maxMs },
    keepSessionAlive: true,
    requestedSessionTimeout: cfg.sessionTimeoutMs,
    // also the socket's idle limit: longer than our own silence watchdog, so a quiet but healthy
    // subscription is never dropped by it and a silent link is found (and rebuilt) by the watchdog
    transportTimeout: Math.max(cfg.connectTimeoutMs, silenceLimitMs(cfg) + 2000),
    defaultTransactionTimeout: cfg.requestTimeoutMs,
    clientCertificateManager: cm,
    ...securityOptions(cfg),
  });
}

/**
 * How long a connection may stay without an answer from the server before it is taken as dead:
 * two periods and 2 s, the period being the keep-alive period of the subscription (mode
 * subscribe: publish responses with values or keep-alives) or the longest poll interval (mode
 * poll: Read responses).
 */
export function silenceLimitMs(cfg: OpcuaSourceConfig): number {
  const period = cfg.mode === 'subscribe' ? cfg.publishingIntervalMs * cfg.keepAliveCount : Math.max(cfg.pollIntervalMs, ...cfg.nodes.map((n) => n.pollIntervalMs ?? 0));
  return 2 * period + 2000;
}

/**
 * After a connection loss, node-opcua re-creates the secure channel (retrying with the source's
 * backoff), re-activates the same session on it and asks for the notifications it missed
 * (Republish): the subscription and every monitored item stay as they are, nothing is recreated.
 * When the session itself is gone (server restarted, or the outage outlived the session timeout)
 * node-opcua would create a new session and re-create the monitored items from their old NodeIds;
 * `onSessionLost` is called instead (the caller rebuilds from the config, re-resolving browse
 * paths), and node-opcua's repair is abandoned.
 */
export function enableSessionResume(client: OPCUAClient, onSessionLost: () => void): void {
  client.connectionStrategy.maxRetry = -1;
  // node-opcua's hook before it re-creates subscriptions on a new session (i_private_client.d.ts)
  (client as unknown as { beforeSubscriptionRecreate: () => Promise<Error | undefined> }).beforeSubscriptionRecreate = async () => {
    onSessionLost();
    return new Error('session lost: the source rebuilds it');
  };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
