import type { Command } from 'commander';
import { PdmError } from '../core/errors';
import type { CertificateEntry, PkiStore } from '../sources/opcua/pki-store';
import { dataDirOf } from './data-dir';

type PkiOpts = { dataDir?: string; config?: string };

function print(entries: readonly CertificateEntry[]): void {
  if (entries.length === 0) process.stdout.write('no certificates\n');
  for (const c of entries) process.stdout.write(`${c.status.padEnd(8)} ${c.thumbprint}  ${c.subject}  valid to ${c.validTo}\n         ${c.file}\n`);
}

async function withStore(opts: PkiOpts, fn: (s: PkiStore) => Promise<void>): Promise<void> {
  // node-opcua loads in seconds on a small board: only the commands that need it pay for it.
  await import('../sources/opcua/opcua-logs'); // node-opcua (loaded only by this command) prints to stderr
  const { PkiStore } = await import('../sources/opcua/pki-store');
  const store = new PkiStore(dataDirOf(opts));
  try {
    await fn(store);
  } catch (e) {
    if (!(e instanceof PdmError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}

/** `pdm-gateway pki list | trust | reject`: the OPC-UA certificates in `<dataDir>/pki`. */
export function registerPki(program: Command): void {
  const pki = program
    .command('pki')
    .description('OPC-UA certificates of the gateway (<dataDir>/pki): its own, trusted servers, rejected servers')
    .option('-c, --config <file>', 'take the data directory from this config file')
    .option('-d, --data-dir <dir>', 'data directory (default ./data)');
  const opts = (): PkiOpts => pki.opts<PkiOpts>();
  pki
    .command('list')
    .description('list own, trusted and rejected certificates with their SHA-1 thumbprints')
    .action(() => withStore(opts(), async (s) => print(s.list())));
  pki
    .command('trust')
    .description('trust a server certificate: a thumbprint (prefix of 8+ hex digits) of a rejected one, or a PEM/DER file')
    .argument('<thumbprint-or-file>')
    .action((what: string) => withStore(opts(), async (s) => print([await s.trust(what)])));
  pki
    .command('reject')
    .description('stop trusting a certificate (moves it to rejected)')
    .argument('<thumbprint-or-file>')
    .action((what: string) => withStore(opts(), async (s) => print([await s.reject(what)])));
}
