import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { MessageSecurityMode, OPCUACertificateManager, OPCUAClient, SecurityPolicy, type ClientSession } from 'node-opcua';

/** A certificate store per test file: node-opcua's default one is shared by every process of the user. */
export function tempPki(label: string): string {
  return mkdtempSync(join(tmpdir(), `sim-${label}-pki-`));
}

export interface Connected {
  client: OPCUAClient;
  session: ClientSession;
  close(): Promise<void>;
}

export async function connect(
  endpoint: string,
  pkiDir: string,
  security: { mode: MessageSecurityMode; policy: SecurityPolicy } = { mode: MessageSecurityMode.None, policy: SecurityPolicy.None },
): Promise<Connected> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    securityMode: security.mode,
    securityPolicy: security.policy,
    connectionStrategy: { maxRetry: 1, initialDelay: 100, maxDelay: 200 },
    clientCertificateManager: new OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true }),
  });
  await client.connect(endpoint);
  const session = await client.createSession();
  return {
    client,
    session,
    async close() {
      await session.close();
      await client.disconnect();
    },
  };
}
