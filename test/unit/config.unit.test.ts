import { ConfigError, databaseNameOf, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('has defaults that run on a fresh machine', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      billingTimeZone: 'Europe/Sofia',
      readingResolutionMinutes: 15,
      adminToken: null,
      auth: 'on',
      maxConcurrentUploads: 4,
    });
    expect(config.dataDir).toMatch(/data$/);
  });

  it('names every bad variable and what it accepts', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        BILLING_TZ: 'Mars/Base',
        READING_RESOLUTION_MINUTES: '7',
        MAX_KWH_PER_READING: '-1',
        AUTH: 'maybe',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain("PORT='eighty' must be a whole number from 0 to 65535");
    expect(problems).toContain("AUTH='maybe' must be on or off");
    expect(problems).toContain("BILLING_TZ='Mars/Base' is not an IANA time zone");
    expect(problems).toContain("READING_RESOLUTION_MINUTES='7' must be one of 1, 5, 10, 15, 30, 60");
    expect(problems).toContain('MAX_KWH_PER_READING');
  });

  it('selects the production backends and a role', () => {
    const config = loadConfig({
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_URL: 'esdb://eventstore:2113?tls=false',
      READ_STORE: 'mongodb',
      MONGODB_URL: 'mongodb://mongo:27017/billing?replicaSet=rs0',
      ROLE: 'api',
    });
    expect(config.role).toBe('api');
    expect(config.eventStore).toEqual({ kind: 'eventstoredb', url: 'esdb://eventstore:2113?tls=false' });
    expect(config.readStore).toEqual({
      kind: 'mongodb',
      url: 'mongodb://mongo:27017/billing?replicaSet=rs0',
      database: 'billing',
    });
    expect(loadConfig({}).eventStore).toEqual({ kind: 'sqlite' });
    expect(loadConfig({}).role).toBe('all');
  });

  it('explains a backend chosen without its URL, and a split role on the embedded backend', () => {
    const problemsOf = (env: Record<string, string>): string => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
      return '';
    };
    expect(problemsOf({ EVENT_STORE: 'eventstoredb' })).toContain('EVENT_STORE=eventstoredb needs EVENTSTORE_URL');
    expect(problemsOf({ READ_STORE: 'mongodb', MONGODB_URL: 'http://x' })).toContain(
      'READ_STORE=mongodb needs MONGODB_URL',
    );
    expect(problemsOf({ READ_STORE: 'postgres' })).toContain("READ_STORE='postgres' must be sqlite or mongodb");
    expect(problemsOf({ ROLE: 'worker' })).toContain("ROLE='worker' must be all, api or projector");
    expect(problemsOf({ ROLE: 'projector' })).toContain('needs the shared backends');
  });

  it('takes the MongoDB database from the connection string', () => {
    expect(databaseNameOf('mongodb://a:27017/prod_billing?replicaSet=rs0')).toBe('prod_billing');
    expect(databaseNameOf('mongodb://a:27017')).toBe('energy_billing');
    expect(databaseNameOf('mongodb://a:27017/?replicaSet=rs0')).toBe('energy_billing');
    expect(databaseNameOf('mongodb+srv://user:pw@cluster.example.net/billing')).toBe('billing');
  });
});
