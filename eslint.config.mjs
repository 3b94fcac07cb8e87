import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import regexp from 'eslint-plugin-regexp';
import local from './eslint-rules/no-plain-dictionary.mjs';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Every regular expression runs in linear time: a super-linear one is a stall (or a kill) waiting for the
    // next long field. A finding is mended (a linear form or a hand-written scan) or, where a bound on the
    // input is checked before the expression runs, disabled inline naming that bound.
    files: ['src/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.mjs', 'scripts/**/*.cjs'],
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': ['error', { report: 'potential' }],
      'regexp/no-super-linear-move': ['error', { report: 'potential', ignorePartial: false }],
      'regexp/no-misleading-capturing-group': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
  },
  {
    // The browser console: TypeScript checks its globals (window, document, fetch) with the DOM library.
    files: ['src/console/**/*.ts'],
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { process: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // The layers (which folder may import which) are held by dependency-cruiser: .dependency-cruiser.cjs.
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      // The domain is pure: time, ids and randomness come in as arguments.
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'pass time in; no clock in src/domain',
        },
        {
          selector: "MemberExpression[object.name='Date'][property.name='now']",
          message: 'pass time in; no clock in src/domain',
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'no randomness in src/domain' },
      ],
    },
  },
  {
    // Outside data never keys a plain object (eslint-rules/no-plain-dictionary.mjs); it needs the types.
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { local },
    rules: { 'local/no-plain-dictionary': 'error' },
  },
);
