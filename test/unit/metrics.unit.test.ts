import { ServiceMetrics } from '../../src/observability/metrics';

const result = (date: string, points: number, appended: boolean, complete: boolean) => ({
  date,
  source: 'entsoe',
  points,
  complete,
  appended,
  position: appended ? '1' : null,
});

describe('ServiceMetrics', () => {
  it('counts scrape runs and labels each day with its outcome', async () => {
    const metrics = new ServiceMetrics({ role: 'projector', progress: () => Promise.resolve([]) });
    metrics.scrapeRun({
      results: [
        result('2026-10-24', 24, true, true),
        result('2026-10-25', 22, true, false),
        result('2026-10-26', 24, false, true),
        result('2026-10-27', 0, false, false),
      ],
      failures: [],
    });
    metrics.scrapeRun({ results: [], failures: [{ date: '2026-10-28', source: 'entsoe', error: '503' }] });
    metrics.scrapeRun(null);
    const text = await metrics.render();
    for (const outcome of ['published', 'published_partial', 'unchanged', 'missing', 'failed']) {
      expect(text).toContain(`energy_billing_price_scrape_days_total{outcome="${outcome}",role="projector"} 1`);
    }
    expect(text).toContain('energy_billing_price_scrape_runs_total{result="ok",role="projector"} 1');
    expect(text).toContain('energy_billing_price_scrape_runs_total{result="failed",role="projector"} 2');
  });
});
