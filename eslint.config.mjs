import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of lambdas/ (docs/development.md): each folder may import only the ones below it.
 *   handlers (Lambda entries) → methods (descriptors) → composition → adapters
 *   handlers/methods → wire → use cases → domain;  config → domain
 * Nothing in lambdas/ imports the local runtime, the CDK code, the CLI or the tests.
 */
const OUTSIDE = ['**/local/*', '**/lib/*', '**/bin/*', '**/bench/*', '**/test/*'];
const AWS = ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*'];
const layer = (files, banned, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: [...banned, ...OUTSIDE], message }] }] },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.local/', '.build/', 'coverage/', 'jest.config.js', 'test/support/summary-reporter.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The web console's browser modules (docs/console.md): standard browser globals only.
    files: ['console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(['document', 'location', 'fetch', 'URLSearchParams', 'FormData', 'addEventListener', 'removeEventListener'].map((g) => [g, 'readonly'])),
    },
  },
  layer(
    ['lambdas/domain/**/*.ts'],
    [...AWS, 'qs', '**/usecases/*', '**/wire/*', '**/adapters/*', '**/adapters/*/*', '**/handlers/*', '**/methods/*', '**/composition', '**/config', '**/method-list'],
    'The domain is plain TypeScript: rules and values, no AWS, no wire encoding (qs), nothing above it.',
  ),
  layer(
    ['lambdas/usecases/**/*.ts'],
    [...AWS, '**/wire/*', '**/adapters/*', '**/adapters/*/*', '**/handlers/*', '**/methods/*', '**/composition', '**/config', '**/method-list'],
    'Use cases talk to ports (domain/ports.ts) only: no adapters, no wire, no configuration.',
  ),
  layer(
    ['lambdas/wire/**/*.ts'],
    [...AWS, '**/adapters/*', '**/adapters/*/*', '**/handlers/*', '**/methods/*', '**/composition', '**/method-list'],
    'The wire layer knows HTTP and the Bitrix envelope, not adapters or the composition.',
  ),
  layer(
    ['lambdas/adapters/**/*.ts'],
    ['**/usecases/*', '**/wire/*', '**/handlers/*', '**/methods/*', '**/composition', '**/config', '**/method-list'],
    'Adapters implement domain ports and know nothing above the domain.',
  ),
  layer(['lambdas/config.ts'], [...AWS, '**/usecases/*', '**/wire/*', '**/adapters/*', '**/handlers/*', '**/methods/*', '**/composition'], 'Configuration depends on the domain only.'),
  layer(['lambdas/composition.ts'], ['**/wire/*', '**/handlers/*', '**/methods/*', '**/method-list'], 'The composition builds adapters from configuration; it knows no entry or wire code.'),
  layer(['lambdas/methods/**/*.ts'], [...AWS, '**/adapters/*', '**/adapters/*/*', '**/handlers/*', '**/method-list'], 'A method descriptor builds its ports with lambdas/composition.ts, never adapters directly.'),
  layer(['lambdas/handlers/**/*.ts'], ['**/adapters/*', '**/adapters/*/*', '**/methods/*', '**/method-list'], 'Entries compose with lambdas/composition.ts; REST entries are generated from the descriptors (lib/entries.ts).'),
);
