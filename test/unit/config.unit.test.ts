import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('has defaults that run on a fresh machine', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      billingTimeZone: 'Europe/Sofia',
      readingResolutionMinutes: 15,
      adminToken: null,
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
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain("PORT='eighty' must be a whole number from 0 to 65535");
    expect(problems).toContain("BILLING_TZ='Mars/Base' is not an IANA time zone");
    expect(problems).toContain("READING_RESOLUTION_MINUTES='7' must be one of 1, 5, 10, 15, 30, 60");
    expect(problems).toContain('MAX_KWH_PER_READING');
  });
});
