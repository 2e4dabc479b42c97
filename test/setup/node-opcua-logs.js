// node-opcua logs with console.log, and on Node 20 it checks RSA PKCS#1 v1.5 in the background
// when loaded (a 4096-bit key, a few seconds). If a test file ends first, its late warning hits
// jest's frozen console, which sets process.exitCode = 1 and fails the run although every test
// passed. Its loggers write to stderr directly instead, as the gateway's own opcua-logs.ts does.
const { setWarningLogger, setErrorLogger } = require('node-opcua-debug');
const { format } = require('node:util');

const toStderr = (...args) => {
  const first = args[0];
  const rest = first && typeof first === 'object' && 'filename' in first ? args.slice(1) : args;
  process.stderr.write(`node-opcua: ${format(...rest)}\n`);
};
setWarningLogger(toStderr);
setErrorLogger(toStderr);
