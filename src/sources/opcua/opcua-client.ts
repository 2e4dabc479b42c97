import { OPCUAClient, type OPCUACertificateManager } from 'node-opcua';
import type { OpcuaSourceConfig } from './config';
import { securityOptions } from './opcua-security';

/**
 * A node-opcua client for one endpoint. Its own reconnection is off (maxRetry 0): the caller owns
 * reconnecting, so first connect and every reconnect take the same path.
 */
export function createOpcuaClient(cfg: OpcuaSourceConfig, cm: OPCUACertificateManager): OPCUAClient {
  return OPCUAClient.create({
    applicationName: 'pdm-gateway',
    clientName: `pdm-gateway/${cfg.id}`,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 500 },
    keepSessionAlive: true,
    requestedSessionTimeout: cfg.sessionTimeoutMs,
    transportTimeout: cfg.connectTimeoutMs,
    defaultTransactionTimeout: cfg.requestTimeoutMs,
    clientCertificateManager: cm,
    ...securityOptions(cfg),
  });
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
