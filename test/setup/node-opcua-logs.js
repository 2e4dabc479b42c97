// node-opcua logs with console.log, and on Node 20 it checks RSA PKCS#1 v1.5 in the background
// when loaded (a 4096-bit key, a few seconds). If a test file ends first, its late warning hits
// jest's frozen console, which sets process.exitCode = 1 and fails the run although every test
// passed. The gateway's own routing (to stderr until a logger is given) applies in tests too.
require('../../src/sources/opcua/opcua-logs');
