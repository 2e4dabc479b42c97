import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { silentLogger } from '../../src/observability/logger';
import { Uplink } from '../../src/uplink';
import { makeOutbox, telemetry } from '../outbox/helpers';
import { makeUplink, startIngest, waitFor, sleep } from '../uplink/helpers';
import { Mosquitto } from '../uplink/mosquitto';
import { requireCommand } from '../helpers/peers';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makePki(dir: string): void {
  const ssl = (...args: string[]) => execFileSync(requireCommand('openssl', 'openssl'), args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=pdm-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other-ca', '-keyout', 'other.key', '-out', 'other.crt');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const [name, cn, ext] of [['server', 'localhost', ['-extfile', 'server.ext']], ['client', 'gw-tls', []]] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, ...ext);
  }
}

describe('Uplink security against a real Mosquitto', () => {
  let pki: string;
  beforeAll(() => {
    pki = mkdtempSync(join(tmpdir(), 'pdm-pki-'));
    makePki(pki);
  });
  afterAll(() => rmSync(pki, { recursive: true, force: true }));
  const f = (n: string) => join(pki, n);

  it('mutual TLS: records flow with the right CA and client certificate; a wrong CA stays down and sends nothing', async () => {
    const mosq = new Mosquitto({
      listener: ['allow_anonymous true', `cafile ${f('ca.crt')}`, `certfile ${f('server.crt')}`, `keyfile ${f('server.key')}`, 'require_certificate true', 'tls_version tlsv1.2'],
    });
    await mosq.start();
    const url = `mqtts://127.0.0.1:${mosq.port}`;
    const tlsOpts = { ca: readFileSync(f('ca.crt')), cert: readFileSync(f('client.crt')), key: readFileSync(f('client.key')) };
    const ingest = await startIngest(url, 'cloud-tls', tlsOpts);
    const ob = makeOutbox();
    await ob.start();
    const good = makeUplink(ob, url, { protocolVersion: 5, tls: { caFile: f('ca.crt'), certFile: f('client.crt'), keyFile: f('client.key') } });
    const badOb = makeOutbox();
    await badOb.start();
    const bad = makeUplink(badOb, url, { protocolVersion: 5, clientId: 'pdm-bad', tls: { caFile: f('other.crt'), certFile: f('client.crt'), keyFile: f('client.key') } });
    try {
      const ids = ob.append(telemetry(500));
      await good.start();
      await waitFor(() => ingest.store.count() >= ids.length, 10_000, 'records over TLS');
      expect(ingest.store.missing(ids)).toEqual([]);
      badOb.append(telemetry(10));
      await bad.start();
      await sleep(1500);
      expect(bad.health()).toMatchObject({ healthy: false, state: 'down' });
      expect(bad.health().detail).toMatch(/certificate/i);
      expect(bad.stats().recordsSent).toBe(0);
      expect(badOb.stats().records).toBe(10);
    } finally {
      await bad.stop();
      await good.stop();
      await badOb.stop();
      await ob.stop();
      await ingest.stop();
      await mosq.dispose();
    }
  });

  it('username and password from the environment via ${VAR}; a wrong password is refused', async () => {
    const pw = join(pki, 'passwd');
    writeFileSync(pw, '');
    execFileSync(requireCommand('mosquitto_passwd', 'mosquitto'), ['-b', pw, 'gw', 's3cret-from-env'], { stdio: 'pipe' });
    execFileSync(requireCommand('mosquitto_passwd', 'mosquitto'), ['-b', pw, 'cloud', 'cloud-pw'], { stdio: 'pipe' });
    const mosq = new Mosquitto({ listener: ['allow_anonymous false', `password_file ${pw}`] });
    await mosq.start();
    const ingest = await startIngest(mosq.url, 'cloud-auth', { username: 'cloud', password: 'cloud-pw' });
    const yaml = (pwRef: string) => `gateway: { id: gw-auth, site: s1 }\nuplink:\n  url: ${mosq.url}\n  username: gw\n  password: "${pwRef}"\n  reconnect: { initialMs: 100, maxMs: 300 }\n`;
    const cfgGood = parseConfig(yaml('${MQTT_PASSWORD}'), 'test.yaml', { MQTT_PASSWORD: 's3cret-from-env' });
    const cfgBad = parseConfig(yaml('${MQTT_PASSWORD}'), 'test.yaml', { MQTT_PASSWORD: 'wrong' });
    expect(() => parseConfig(yaml('${MQTT_PASSWORD}'), 'test.yaml', {})).toThrow(/uplink\.password: environment variable MQTT_PASSWORD is not set/);
    const ob = makeOutbox(':memory:', {}, undefined, 'gw-auth');
    await ob.start();
    const badOb = makeOutbox(':memory:', {}, undefined, 'gw-auth');
    await badOb.start();
    const up = new Uplink({ config: cfgGood.uplink!, outbox: ob, gatewayId: 'gw-auth', site: 's1', logger: silentLogger() });
    const bad = new Uplink({ config: { ...cfgBad.uplink!, clientId: 'pdm-intruder' }, outbox: badOb, gatewayId: 'gw-auth', site: 's1', logger: silentLogger() });
    try {
      const ids = ob.append(telemetry(100));
      await up.start();
      await waitFor(() => ingest.store.count() >= ids.length, 10_000, 'records with credentials');
      expect(ingest.store.missing(ids)).toEqual([]);
      badOb.append(telemetry(5));
      await bad.start();
      await sleep(1000);
      expect(bad.health().state).toBe('down');
      expect(bad.health().detail).toMatch(/not authori[sz]ed|bad user name or password/i);
      expect(badOb.stats().records).toBe(5);
    } finally {
      await bad.stop();
      await up.stop();
      await badOb.stop();
      await ob.stop();
      await ingest.stop();
      await mosq.dispose();
    }
  });
});
