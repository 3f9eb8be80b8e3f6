// One lint configuration for the monorepo; each package's `lint` target runs it over its own folder.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.dispatch-data/**',
      '**/coverage/**',
      '**/*.d.ts',
      // Handlers that fail to load on purpose, to test how a load error is reported.
      'packages/driver-testkit/fixtures/*-broken/**',
      'packages/runtimes/test/fixtures/*/syntax-error.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The function servers run inside user images: plain CommonJS, no build step.
    files: ['packages/runtimes/nodejs/**/*.cjs', 'packages/**/fixtures/**/*.js', 'packages/**/fixtures/**/*.cjs', 'examples/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
