import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.local/', 'coverage/', 'jest.config.js', 'test/support/summary-reporter.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The domain is plain TypeScript: no AWS SDK, no adapters, no wire layer.
    files: ['lambdas/domain/**/*.ts', 'lambdas/usecases/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*', '**/adapters/*', '**/wire/*', '**/handlers/*'] }],
    },
  },
);
