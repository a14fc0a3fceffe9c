/** What every project shares. */
const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // @middy/core and qs-esm (used by @bitrix24/b24jssdk) are ESM only: ts-jest compiles them to CommonJS.
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
  transformIgnorePatterns: ['/node_modules/(?!@middy/|qs-esm/)'],
  setupFiles: ['<rootDir>/test/support/setup.ts'],
};

/**
 * The client-facing suites that run a second time on the Node engine (dynalite): the REST
 * surface over HTTP, the real JS SDK, the fuzzer, batch and isolation (docs/engines.md says
 * why these, and what the others check that cannot differ between engines).
 */
const NODE_ENGINE_SUITES = ['rest-surface', 'b24jssdk', 'fuzz', 'batch', 'isolation'];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    // Everything, on the test run's engine: DynamoDB Local when Java is there (DYNAMODB_ENGINE chooses).
    { ...common, displayName: 'default', testMatch: ['**/*.test.ts'] },
    {
      ...common,
      displayName: 'node-engine',
      testMatch: NODE_ENGINE_SUITES.map((name) => `<rootDir>/test/http/${name}.test.ts`),
      setupFiles: [...common.setupFiles, '<rootDir>/test/support/use-node-engine.ts'],
    },
  ],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
