import type { Command } from 'commander';
import { errorMessage } from '../core/errors';
import { opcuaSourceConfig } from '../sources/opcua/config';
import { dataDirOf } from './data-dir';

interface BrowseOpts {
  depth: string;
  under: string;
  snippet?: boolean;
  select?: string;
  browsePaths?: boolean;
  securityMode: string;
  securityPolicy: string;
  user?: string;
  password?: string;
  trustServer?: boolean;
  dataDir?: string;
  config?: string;
}

/** `pdm-gateway browse opc.tcp://host:port`: the address space as a tree, and a config snippet. */
export function registerBrowse(program: Command): void {
  program
    .command('browse')
    .description('Browse an OPC-UA server: prints NodeId, browse name, data type and access level of each node')
    .argument('<endpoint>', 'opc.tcp://host:port')
    .option('--depth <n>', 'levels to walk', '3')
    .option('--under <nodeId>', 'start node', 'i=85')
    .option('--snippet', 'also print a ready YAML sources entry for the readable variables')
    .option('--select <patterns>', 'snippet of these variables only: comma-separated NodeIds or globs on NodeId, browse name or path below --under (e.g. "ns=1;s=Pump.Pressure,Temp*,Pump/V?"); implies --snippet')
    .option('--browse-paths', 'snippet gives each node by its browse path (re-resolved after a server restart) instead of its NodeId; implies --snippet')
    .option('--security-mode <mode>', 'None | Sign | SignAndEncrypt', 'None')
    .option('--security-policy <policy>', 'None | Basic256Sha256 | Aes128_Sha256_RsaOaep | Aes256_Sha256_RsaPss', 'None')
    .option('--user <name>', 'user name (password from --password or PDM_OPCUA_PASSWORD)')
    .option('--password <password>', 'password of --user')
    .option('--trust-server', 'accept an unknown server certificate and store it as trusted')
    .option('-d, --data-dir <dir>', 'data directory holding the PKI (default ./data)')
    .option('-c, --config <file>', 'take the data directory from this config file')
    .action(async (endpoint: string, o: BrowseOpts) => {
      const parsed = opcuaSourceConfig.safeParse({
        id: 'browse',
        type: 'opcua',
        endpoint,
        securityMode: o.securityMode,
        securityPolicy: o.securityPolicy,
        trustUnknownServerCertificate: o.trustServer === true,
        userIdentity: o.user ? { type: 'username', username: o.user, password: o.password ?? process.env.PDM_OPCUA_PASSWORD ?? '' } : { type: 'anonymous' },
        nodes: [{ name: 'root', nodeId: o.under }],
      });
      const depth = Number(o.depth);
      if (!parsed.success || !Number.isInteger(depth) || depth < 1) {
        const why = parsed.success ? `--depth: expected a positive integer, got "${o.depth}"` : parsed.error.issues.map((i) => `${i.path.join('.') || 'endpoint'}: ${i.message}`).join('; ');
        process.stderr.write(`browse: ${why}\n`);
        process.exitCode = 2;
        return;
      }
      const cfg = parsed.data;
      const dataDir = dataDirOf(o);
      // node-opcua takes a second or two to load: only for this command, not for every CLI call.
      // opcua-logs first: it sends node-opcua's console output to stderr (stdout carries tree and snippet).
      await import('../sources/opcua/opcua-logs');
      const { browsePathOf, browseTree, formatTree } = await import('../sources/opcua/browse');
      const { defaultSnippetVariables, formatSnippet, selectVariables } = await import('../sources/opcua/browse-snippet');
      const patterns = o.select?.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
      const { createOpcuaClient, withTimeout } = await import('../sources/opcua/opcua-client');
      const { acquireCertificateManager, explainConnectError, pkiPaths, userIdentity } = await import('../sources/opcua/opcua-security');
      const pki = await acquireCertificateManager(dataDir, cfg.trustUnknownServerCertificate);
      const client = createOpcuaClient(cfg, pki.cm);
      try {
        await withTimeout(client.connect(endpoint), cfg.connectTimeoutMs, 'connect');
        const session = await client.createSession(userIdentity(cfg));
        const nodes = await browseTree(session, o.under, depth);
        process.stdout.write(`${formatTree(nodes)}\n`);
        if (o.snippet || patterns || o.browsePaths) {
          const chosen = patterns ? selectVariables(nodes, patterns) : { selected: defaultSnippetVariables(nodes), unmatched: [] };
          const prefix = o.browsePaths ? await browsePathOf(session, o.under) : undefined;
          process.stdout.write(`\n${formatSnippet(endpoint, chosen.selected, prefix)}\n`);
          if (chosen.unmatched.length) {
            process.stderr.write(`browse: --select matched no readable variable within --depth ${depth} under ${o.under}: ${chosen.unmatched.join(', ')}\n`);
            process.exitCode = 1;
          }
        }
        await session.close();
      } catch (e) {
        process.stderr.write(`browse ${endpoint}: ${explainConnectError(errorMessage(e), cfg, pkiPaths(dataDir))}\n`);
        process.exitCode = 1;
      } finally {
        await withTimeout(client.disconnect(), 2000, 'disconnect').catch(() => undefined);
        await pki.release();
      }
    });
}
