/** Black-box tests: each file starts a real server on port 0 and talks HTTP/WebSocket to it. */
export default {
  // Fails a test on any unhandled rejection or uncaught exception in the process (the server runs in it).
  testEnvironment: '<rootDir>/test/helpers/environment.mjs',
  roots: ['<rootDir>/test'],
  // One migrated template database per run, which every test database starts from.
  globalSetup: '<rootDir>/test/helpers/global-setup.mjs',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.mjs',
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'es6' },
      },
    ],
  },
  testTimeout: 60000,
  maxWorkers: 2,
};
