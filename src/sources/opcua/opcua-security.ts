import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MessageSecurityMode, OPCUACertificateManager, SecurityPolicy, type UserIdentityInfo, UserTokenType } from 'node-opcua';
import { ConfigError } from '../../core/errors';
import type { OpcuaSourceConfig } from './config';

/** Where the gateway keeps its OPC-UA PKI: `<dataDir>/pki/{own,trusted,rejected,issuers}`. */
export interface PkiPaths {
  readonly root: string;
  readonly ownCertificate: string;
  readonly ownPrivateKey: string;
  readonly trusted: string;
  readonly rejected: string;
}

export function pkiPaths(dataDir: string): PkiPaths {
  const root = resolve(dataDir, 'pki');
  return {
    root,
    ownCertificate: join(root, 'own/certs/client_certificate.pem'),
    ownPrivateKey: join(root, 'own/private/private_key.pem'),
    trusted: join(root, 'trusted/certs'),
    rejected: join(root, 'rejected'),
  };
}

const managers = new Map<string, { cm: OPCUACertificateManager; users: number }>();

export interface CertificateManagerLease {
  readonly cm: OPCUACertificateManager;
  /** Give the manager back; the last user disposes it (its file watchers would keep the process alive). */
  release(): Promise<void>;
}

/**
 * One certificate manager per PKI folder and trust setting, shared by the sources of a process.
 * The client creates its application certificate in `own/` on first connect. Unknown server
 * certificates land in `rejected/` until `pdm-gateway pki trust` moves them to `trusted/` (the
 * manager watches the folders, so a running gateway sees the change).
 */
export async function acquireCertificateManager(dataDir: string, trustUnknown: boolean): Promise<CertificateManagerLease> {
  const root = pkiPaths(dataDir).root;
  const key = `${root}|${trustUnknown}`;
  let entry = managers.get(key);
  if (!entry) {
    entry = { cm: new OPCUACertificateManager({ rootFolder: root, automaticallyAcceptUnknownCertificate: trustUnknown, keySize: 2048 }), users: 0 };
    managers.set(key, entry);
  }
  entry.users++;
  const held = entry;
  await held.cm.initialize();
  let released = false;
  return {
    cm: held.cm,
    release: async () => {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      if (managers.get(key) === held) managers.delete(key);
      await held.cm.dispose();
    },
  };
}

export function securityOptions(cfg: OpcuaSourceConfig): { securityMode: MessageSecurityMode; securityPolicy: SecurityPolicy } {
  return {
    securityMode: MessageSecurityMode[cfg.securityMode],
    securityPolicy: SecurityPolicy[cfg.securityPolicy],
  };
}

/** The session's user identity; certificate files are read here so a wrong path names the file. */
export function userIdentity(cfg: OpcuaSourceConfig): UserIdentityInfo {
  const u = cfg.userIdentity;
  switch (u.type) {
    case 'anonymous':
      return { type: UserTokenType.Anonymous };
    case 'username':
      return { type: UserTokenType.UserName, userName: u.username, password: u.password };
    case 'certificate': {
      const cert = readOrFail(cfg, 'certificateFile', u.certificateFile);
      const key = readOrFail(cfg, 'privateKeyFile', u.privateKeyFile).toString('utf8');
      return { type: UserTokenType.Certificate, certificateData: new X509Certificate(cert).raw, privateKey: key };
    }
  }
}

function readOrFail(cfg: OpcuaSourceConfig, field: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ConfigError(`source ${cfg.id}`, [{ path: `userIdentity.${field}`, message: `cannot read ${file}: ${(e as Error).message}` }]);
  }
}

export function thumbprint(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex');
}

/**
 * Turn node-opcua's connect errors into what the operator must do. When the server refuses our
 * certificate, say so and where it is, so it can be copied to the server's trusted list.
 */
export function explainConnectError(message: string, cfg: OpcuaSourceConfig, pki: PkiPaths): string {
  if (/server Certificate verification failed/i.test(message)) {
    return `${message} — the server's certificate is not trusted: it was stored in ${pki.rejected}; run "pdm-gateway pki list" and "pdm-gateway pki trust <thumbprint>"`;
  }
  if (/BadCertificateUntrusted|BadSecurityChecksFailed|BadCertificateInvalid|BadCertificateIssuer|BadCertificateRevoked|socket has been disconnected by third party/i.test(message) && cfg.securityMode !== 'None') {
    return `${message} — the server rejected the gateway's certificate: copy ${pki.ownCertificate} into the trusted certificates of the server at ${cfg.endpoint}`;
  }
  if (/cannot find endpoint for securityMode/i.test(message)) {
    return `${message} — the server at ${cfg.endpoint} offers no endpoint with securityMode ${cfg.securityMode} and policy ${cfg.securityPolicy}`;
  }
  if (/BadIdentityTokenInvalid|BadIdentityTokenRejected|BadUserAccessDenied/i.test(message)) {
    return `${message} — the server refused the ${cfg.userIdentity.type} user identity`;
  }
  return message;
}
