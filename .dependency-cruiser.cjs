/**
 * The layers of docs/architecture.md, held by `npm run lint` (`depcruise src`). Paths are resolved, so a
 * rule holds however deep a file sits and however its import is spelled; type-only imports count.
 */
const API_EDGE = '^src/(resolvers|graphql|http)/';
const SERVICES_AND_ADAPTERS =
  '^src/(infrastructure|ingestion|invoicing|pricing|webhooks|access|jobs|observability|common)/';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'an import cycle makes two files one: split out what both need',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'domain-imports-only-the-domain',
      severity: 'error',
      comment: 'the domain is pure: no store, service, projection, API or config above it',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'domain-has-no-io',
      severity: 'error',
      comment: 'no clock, network, files or randomness in the domain: they come in as arguments',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'ports-speak-the-domain',
      severity: 'error',
      comment: "a port is an interface in the domain's words: it imports only the domain",
      from: { path: '^src/ports/' },
      to: { path: '^src/', pathNot: '^src/(ports|domain)/' },
    },
    {
      name: 'projections-reach-stores-through-ports',
      severity: 'error',
      comment: 'a projection knows its read model by its port: it imports the domain, the ports and the config only',
      from: { path: '^src/projections/' },
      to: { path: '^src/', pathNot: ['^src/(projections|domain|ports|common)/', '^src/(config|logger)[.]ts$'] },
    },
    {
      name: 'adapters-implement-ports',
      severity: 'error',
      comment: "an adapter implements a port in the domain's words: no projection, service or API above it",
      from: { path: '^src/infrastructure/' },
      to: { path: '^src/', pathNot: ['^src/(infrastructure|domain|ports|common)/', '^src/(config|logger)[.]ts$'] },
    },
    {
      name: 'services-and-adapters-below-the-api',
      severity: 'error',
      comment: 'services, jobs and adapters never import the GraphQL or HTTP edge',
      from: { path: SERVICES_AND_ADAPTERS },
      to: { path: API_EDGE },
    },
    {
      name: 'api-through-services',
      severity: 'error',
      comment: 'resolvers and routes use services and queries (ports), never an adapter',
      from: { path: API_EDGE },
      to: { path: '^src/infrastructure/' },
    },
    {
      name: 'http-routes-beside-graphql',
      severity: 'error',
      comment: 'HTTP routes share views/ with the resolvers, not the resolvers themselves',
      from: { path: '^src/http/' },
      to: { path: '^src/resolvers/' },
    },
    {
      name: 'views-are-plain',
      severity: 'error',
      comment: 'views/ map documents to what the API shows: the domain only, no store, no API framework',
      from: { path: '^src/views/' },
      to: { path: '^src/', pathNot: '^src/(views|domain)/' },
    },
    {
      name: 'nothing-imports-the-app',
      severity: 'error',
      comment: 'app/ composes everything and is imported by nothing (tests and scripts may)',
      from: { path: '^src/', pathNot: '^src/app/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'console-stands-alone',
      severity: 'error',
      comment:
        'the browser console is its own bundle: it talks to the service over HTTP, sharing only common/ (pure helpers)',
      from: { path: '^src/console/' },
      to: { path: '^src/', pathNot: '^src/(console|common)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/console/.*\\.(css|html)$' },
  },
};
