import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import { opcuaSourceConfig } from '../../src/sources/opcua/config';
import { OpcuaSource } from '../../src/sources/opcua/opcua-source';
import { pkiPaths } from '../../src/sources/opcua/opcua-security';
import { PkiStore } from '../../src/sources/opcua/pki-store';
import { silentLogger } from '../../src/observability/logger';
import { freePort } from '../helpers/ports';
import { MessageSecurityMode, SecurityPolicy, TestOpcuaServer } from '../helpers/opcua-server';
import { SourceRecorder } from '../helpers/source-events';

const POLICIES = ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;

function source(endpoint: string, dataDir: string, extra: Record<string, unknown>): OpcuaSource {
  const cfg = opcuaSourceConfig.parse({
    id: 'sec',
    type: 'opcua',
    endpoint,
    publishingIntervalMs: 100,
    reconnect: { initialMs: 200, maxMs: 500 },
    nodes: [{ name: 'temp', nodeId: 'ns=1;s=Pump.Temperature' }],
    ...extra,
  });
  return new OpcuaSource(cfg, { logger: silentLogger(), dataDir });
}

describe('OPC-UA security against a server that requires SignAndEncrypt', () => {
  let server: TestOpcuaServer;
  let src: OpcuaSource | undefined;
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    await server.stop();
  });

  async function secureServer(trustClients: boolean): Promise<TestOpcuaServer> {
    server = new TestOpcuaServer({
      port: await freePort(),
      securityModes: [MessageSecurityMode.SignAndEncrypt],
      securityPolicies: POLICIES.map((p) => SecurityPolicy[p]),
      allowAnonymous: false,
      users: { operator: 's3cret' },
      trustClients,
    });
    await server.start();
    return server;
  }

  for (const policy of POLICIES) {
    it(`SignAndEncrypt + ${policy} with username/password: values flow`, async () => {
      await secureServer(true);
      const dataDir = mkdtempSync(join(tmpdir(), 'pdm-sec-'));
      src = source(server.endpoint, dataDir, {
        securityMode: 'SignAndEncrypt',
        securityPolicy: policy,
        userIdentity: { type: 'username', username: 'operator', password: 's3cret' },
        trustUnknownServerCertificate: true,
      });
      const rec = new SourceRecorder(src);
      await src.start();
      await rec.until('a value', () => rec.latest('sec/temp')?.value === 20.5, 20_000);
      expect(existsSync(pkiPaths(dataDir).ownCertificate)).toBe(true); // created on first start, in the data dir
    });
  }

  it('the whole trust dance: server cert unknown -> pki trust -> server rejects ours (error says where it is) -> trusted -> values', async () => {
    await secureServer(false);
    const dataDir = mkdtempSync(join(tmpdir(), 'pdm-sec-'));
    const pki = pkiPaths(dataDir);
    src = source(server.endpoint, dataDir, {
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      userIdentity: { type: 'username', username: 'operator', password: 's3cret' },
    });
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('server certificate rejected', () => /not trusted/.test(src?.health().detail ?? ''), 20_000);
    expect(src.health().detail).toContain(pki.rejected);
    const store = new PkiStore(dataDir);
    const rejected = store.list().filter((c) => c.status === 'rejected');
    expect(rejected).toHaveLength(1);
    await store.trust(rejected[0]!.thumbprint.slice(0, 12));
    expect(store.list().filter((c) => c.status === 'trusted').map((c) => c.thumbprint)).toEqual([rejected[0]!.thumbprint]);
    await store.close();
    await rec.until('our certificate rejected by the server', () => /rejected the gateway's certificate/.test(src?.health().detail ?? ''), 20_000);
    expect(src.health().detail).toContain(`copy ${pki.ownCertificate} into the trusted certificates of the server at ${server.endpoint}`);
    // The server's operator trusts the certificate we pointed at. A clean-clone CI run once saw 20 s of refusals after
    // the trust (cause not confirmed: node-opcua-pki's verification looks in rejected/ before trusted/, so a rejection
    // of one of the client's retries, every 0.2-0.5 s, filed after the trust would do it). An operator would trust it
    // again; so does the test, every 4 s, five times at most.
    const ours = new X509Certificate(readFileSync(pki.ownCertificate)).raw;
    for (let attempt = 1; ; attempt++) {
      await server.server!.serverCertificateManager.trustCertificate(ours);
      try {
        await rec.until('a value', () => rec.latest('sec/temp')?.value === 20.5, 4_000);
        break;
      } catch (e) {
        if (attempt === 5) throw e;
      }
    }
  });

  it('a wrong password is reported as a refused user identity', async () => {
    await secureServer(true);
    src = source(server.endpoint, mkdtempSync(join(tmpdir(), 'pdm-sec-')), {
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Aes256_Sha256_RsaPss',
      userIdentity: { type: 'username', username: 'operator', password: 'wrong' },
      trustUnknownServerCertificate: true,
    });
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('refused', () => /refused the username user identity/.test(src?.health().detail ?? ''), 20_000);
  });

  it('X.509 user identity', async () => {
    server = new TestOpcuaServer({
      port: await freePort(),
      securityModes: [MessageSecurityMode.Sign],
      securityPolicies: [SecurityPolicy.Basic256Sha256],
      allowAnonymous: false,
      trustClients: true,
    });
    await server.start();
    const userPki = mkdtempSync(join(tmpdir(), 'pdm-user-'));
    const cm = new OPCUACertificateManager({ rootFolder: userPki });
    await cm.initialize();
    const certFile = join(userPki, 'user.pem');
    await cm.createSelfSignedCertificate({ applicationUri: 'urn:pdm:user', subject: '/CN=maintenance-user', dns: [], startDate: new Date(), validity: 30, outputFile: certFile });
    await cm.dispose();
    src = source(server.endpoint, mkdtempSync(join(tmpdir(), 'pdm-sec-')), {
      securityMode: 'Sign',
      securityPolicy: 'Basic256Sha256',
      userIdentity: { type: 'certificate', certificateFile: certFile, privateKeyFile: cm.privateKey },
      trustUnknownServerCertificate: true,
    });
    const rec = new SourceRecorder(src);
    await src.start();
    await rec.until('a value', () => rec.latest('sec/temp')?.value === 20.5, 20_000);
  });
});
