import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  // The layers (docs/architecture.md): ports speak the domain's language only; projections, services and
  // adapters never reach up to the GraphQL and HTTP edge.
  {
    files: ['src/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', '!../domain', '!../domain/**'], message: 'a port imports only the domain' }] },
      ],
    },
  },
  {
    files: ['src/projections/**/*.ts'],
    // The projector thread's entry points open their own backends until the entry-point wing takes them over.
    ignores: ['src/projections/projector-thread.ts', 'src/projections/projector-worker.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/infrastructure/**'], message: 'projections reach stores through the ports' },
            { group: ['**/resolvers/**', '**/graphql/**', '**/http/**'], message: 'no projection knows the API' },
          ],
        },
      ],
    },
  },
  {
    files: [
      'src/infrastructure/**/*.ts',
      'src/ingestion/**/*.ts',
      'src/invoicing/**/*.ts',
      'src/pricing/**/*.ts',
      'src/webhooks/**/*.ts',
      'src/access/**/*.ts',
      'src/jobs/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/resolvers/**', '**/graphql/**', '**/http/**'],
              message: 'services and adapters never import the API edge',
            },
          ],
        },
      ],
    },
  },
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
      // ... and imports only the domain: nothing above it (services, adapters, projections, resolvers).
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'http', 'crypto', '../../*'] }],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'no randomness in src/domain' },
      ],
    },
  },
);
