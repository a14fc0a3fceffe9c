/**
 * The unit tests alone (`npm run test:unit`): domain, wire and use cases on in-memory ports.
 * Same settings as jest.config.js without its global setup, so nothing starts DynamoDB Local
 * (Java) or the SQS emulator; a static configuration with endpoints on a closed port stands in
 * for the one the global setup writes (test/support/unit-environment.ts). `npm test` still
 * runs these files with everything else.
 * @type {import('jest').Config}
 */
/* global require, module */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config, as jest.config.js
const base = require('./jest.config');
// The project every test file runs in (jest.config.js also re-runs some HTTP suites on the Node engine).
const project = { ...base.projects.find((p) => p.displayName === 'default') };
delete project.displayName;

module.exports = {
  ...project,
  roots: ['<rootDir>/test/unit'],
  setupFiles: ['<rootDir>/test/support/unit-environment.ts', ...project.setupFiles],
  testTimeout: base.testTimeout,
  maxWorkers: base.maxWorkers,
  reporters: base.reporters,
};
