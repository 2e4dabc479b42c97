// Unit and in-process integration tests: `npm test`. Tests against Debian peers live in
// test/interop and run with `npm run test:interop` (jest.interop.config.js).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
    // node-opcua-debug requires hexy 0.4, an ES module; Node 20 loads it (require(esm)), jest needs it transpiled.
    '/node_modules/hexy/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs' }, isolatedModules: true }],
  },
  transformIgnorePatterns: ['/node_modules/(?!hexy/)'],
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/interop/', '<rootDir>/dist/'],
  setupFiles: ['<rootDir>/test/setup/node-opcua-logs.js'],
  testTimeout: 60000,
  maxWorkers: 2,
};
