import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { generateSigningKey } from '../models/signing';

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('Create an Ed25519 model-signing key pair: <name>.key (private, mode 0600) and <name>.pub (give it to gateways in models.trustedKeys)')
    .requiredOption('-o, --out <dir>', 'folder to write the key pair into (created if needed)')
    .option('-n, --name <name>', 'file name stem', 'model-signing')
    .action((opts: { out: string; name: string }) => {
      try {
        mkdirSync(opts.out, { recursive: true });
        const k = generateSigningKey(opts.out, opts.name);
        process.stdout.write(`private key: ${k.privateKeyPath}\npublic key:  ${k.publicKeyPath}\nkey id:      ${k.keyId}\n`);
      } catch (e) {
        process.stderr.write(`keygen: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
      }
    });
}
