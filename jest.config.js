// Unit and in-process integration tests: `npm test`. Tests against Debian peers live in
// test/interop and run with `npm run test:interop` (jest.interop.config.js).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', isolatedModules: true }] },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/interop/', '<rootDir>/dist/'],
  testTimeout: 60000,
  maxWorkers: 2,
};
