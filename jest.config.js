/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

const project = (displayName, testMatch) => ({
  displayName,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': swc },
  // hyparquet-writer and hyparquet are ES modules: compiled to CommonJS like the project's own files.
  transformIgnorePatterns: ['/node_modules/(?!(hyparquet|hyparquet-writer)/)'],
  testMatch,
});

module.exports = {
  projects: [
    project('unit', ['<rootDir>/test/**/*.unit.test.ts']),
    project('int', ['<rootDir>/test/**/*.int.test.ts']),
    // The admin console in Chromium (skipped where no browser is installed; CI installs one).
    project('e2e', ['<rootDir>/test/e2e/*.e2e.test.ts']),
    // Contract suites against EventStoreDB and MongoDB: skipped unless EVENTSTORE_URL / MONGODB_URL are set.
    project('backends', ['<rootDir>/test/backends/*.backend.test.ts']),
  ],
};
