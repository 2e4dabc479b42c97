'use strict';
// Shared by the plain-JS OPC-UA peer processes (tests and bench/ingest start them with node, no build step).
const { OPCUAServer, OPCUACertificateManager, get_mini_nodeset_filename } = require('node-opcua');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/** The number after `--name` on the command line, or `def`. */
function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

/** A loopback server on `port` with the mini nodeset and a throwaway PKI that accepts any client certificate. */
function loopbackServer(port, pkiPrefix, extra = {}) {
  return new OPCUAServer({
    port,
    hostname: '127.0.0.1',
    nodeset_filename: [get_mini_nodeset_filename()],
    serverCertificateManager: new OPCUACertificateManager({ rootFolder: mkdtempSync(join(tmpdir(), pkiPrefix)), automaticallyAcceptUnknownCertificate: true }),
    ...extra,
  });
}

/** Runs an async main, printing its error and exiting 1 on failure. */
function run(main) {
  main().catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
}

module.exports = { arg, loopbackServer, run };
