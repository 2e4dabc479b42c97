// Integration tests against independent peers from Debian (mosquitto, python3-pymodbus, socat,
// python3-numpy, python3-torch, python3-sklearn, python3-onnx). `.ci/run` installs them; run with `npm run test:interop`.
const base = require('./jest.config.js');
/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/interop/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/'],
  maxWorkers: 1,
  testTimeout: 300000,
};
