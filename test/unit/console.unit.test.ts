import { dailySeries, localDateOf, priceSeries, validationProgress } from '../../src/console/chart-data';
import { csvCell, toCsv } from '../../src/console/csv';
import { formatDecimal, formatNumber, sumAmounts, sumKwh } from '../../src/console/format';
import { currentAfter, firstPage, nextPage, pageNumber, previousPage } from '../../src/console/paging';
import { parseRoute } from '../../src/console/router';
import { type InvoiceRow, sortInvoices } from '../../src/console/tables';

describe('console number formatting', () => {
  it("keeps the API's digits and applies only the locale's grouping and decimal mark", () => {
    expect(formatDecimal('1234567.50', 'en-US')).toBe('1,234,567.50');
    expect(formatDecimal('1234567.50', 'de-DE')).toBe('1.234.567,50');
    expect(formatDecimal('-0.05', 'en-US')).toBe('-0.05');
    expect(formatDecimal('12345678901234567890.123456', 'en-US')).toBe('12,345,678,901,234,567,890.123456');
    expect(formatDecimal('not a number', 'en-US')).toBe('not a number');
    // A float keeps exactly the digits JSON gave (no rounding to 3 places as Intl would).
    expect(formatNumber(133.4596, 'en-US')).toBe('133.4596');
    expect(formatNumber(0.000001, 'en-US')).toBe('0.000001');
    expect(formatNumber(1e21, 'en-US')).toBe('1e+21');
  });

  it('sums amounts exactly in cents, and kWh without float drift', () => {
    expect(sumAmounts(['0.10', '0.20', '-0.05'])).toBe('0.25');
    expect(sumAmounts([])).toBe('0.00');
    expect(() => sumAmounts(['1.5'])).toThrow('two places');
    expect(sumKwh([0.1, 0.2])).toBe(0.3);
    expect(sumKwh([133.4596, 105.3312, 77.2906, 47.0172])).toBe(363.0986);
  });
});

describe('console tables, paging and downloads', () => {
  const row = (meter: string, kwh: number, cost: string, status = 'COMPLETE'): InvoiceRow => ({
    id: `2026-10:${meter}`,
    meter,
    totalKwh: kwh,
    energyCost: cost,
    currency: 'EUR',
    status,
    unpricedIntervals: 0,
    intervals: 96,
    expectedIntervals: 96,
    averagePricePerKwh: null,
    intervalMinutes: [15],
  });

  it('sorts by any column, amounts as exact cents, ties by meter', () => {
    const rows = [
      row('B', 2, '10.05'),
      row('A', 3, '9.99'),
      row('C', 1, '-0.50', 'MISSING_PRICES'),
      row('D', 1, '10.05'),
    ];
    expect(sortInvoices(rows, 'energyCost', true).map((r) => r.meter)).toEqual(['B', 'D', 'A', 'C']);
    expect(sortInvoices(rows, 'energyCost', false).map((r) => r.meter)).toEqual(['C', 'A', 'B', 'D']);
    expect(sortInvoices(rows, 'totalKwh', false).map((r) => r.meter)).toEqual(['C', 'D', 'B', 'A']);
    expect(sortInvoices(rows, 'status', false).map((r) => r.meter)).toEqual(['A', 'B', 'D', 'C']);
  });

  it('pages forward on the end cursor and back exactly', () => {
    let state = firstPage();
    expect(currentAfter(state)).toBeNull();
    state = nextPage(state, 'c1', true);
    state = nextPage(state, 'c2', true);
    expect([pageNumber(state), currentAfter(state)]).toEqual([3, 'c2']);
    expect(nextPage(state, 'c3', false)).toBe(state);
    state = previousPage(state);
    expect([pageNumber(state), currentAfter(state)]).toEqual([2, 'c1']);
    expect(previousPage(previousPage(state))).toEqual(firstPage());
  });

  it('writes CSV with quotes where needed and spreadsheet formulas defused', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell(null)).toBe('');
    expect(toCsv(['line', 'raw'], [[3, 'MP1,x']])).toBe('line,raw\r\n3,"MP1,x"\r\n');
  });

  it('reads hash routes', () => {
    expect(parseRoute('#/uploads/abc')).toEqual({ name: 'upload-page', uploadId: 'abc' });
    expect(parseRoute('#/invoices?month=2026-10')).toEqual({ name: 'invoices', month: '2026-10' });
    expect(parseRoute('#/invoices?month=bad')).toEqual({ name: 'invoices', month: null });
    expect(parseRoute('#/meters/MP%2F1?month=2026-10')).toEqual({ name: 'meter', meter: 'MP/1', month: '2026-10' });
    expect(parseRoute('')).toEqual({ name: 'upload' });
  });
});

describe('console chart data', () => {
  it('puts every day of the range on the axis, a day without readings as a gap', () => {
    const series = dailySeries('2026-10-24', '2026-10-26', [
      { date: '2026-10-24', totalKwh: 5, minKwh: 0.01, maxKwh: 0.2, complete: true },
      { date: '2026-10-26', totalKwh: 4, minKwh: 0.02, maxKwh: 0.1, complete: true },
    ]);
    expect(series.total).toEqual([5, null, 4]);
    expect(series.min).toEqual([0.01, null, 0.02]);
    expect(series.x).toHaveLength(3);
  });

  it('draws prices as steps and breaks the line where intervals are missing', () => {
    const p = (start: string, end: string, price: number) => ({ start, end, priceEurMwh: price });
    const series = priceSeries([
      p('2026-10-01T01:00:00Z', '2026-10-01T02:00:00Z', 20),
      p('2026-10-01T00:00:00Z', '2026-10-01T01:00:00Z', 10),
      p('2026-10-01T04:00:00Z', '2026-10-01T05:00:00Z', -5),
    ]);
    expect(series.price).toEqual([10, 20, null, -5, -5]);
    expect(series.x.map((x) => new Date(x * 1000).toISOString().slice(11, 13))).toEqual(['00', '01', '02', '04', '05']);
  });

  it('turns rows processed into progress against the data lines counted in the file', () => {
    expect(validationProgress({ processedRows: 50, acceptedRows: 49, rejectedRows: 1 }, 200)).toBe(0.25);
    expect(validationProgress({ processedRows: 300, acceptedRows: 300, rejectedRows: 0 }, 200)).toBe(1);
    expect(validationProgress({ processedRows: 1, acceptedRows: 1, rejectedRows: 0 }, null)).toBeNull();
  });
});

describe('localDateOf', () => {
  it("gives an instant's date in the billing zone, not the machine's", () => {
    // 22:00 UTC on 30 September is already 1 October in Berlin and Sydney, still 30 September in New York.
    const instant = Date.parse('2026-09-30T22:00:00Z');
    expect(localDateOf(instant, 'Europe/Berlin')).toBe('2026-10-01');
    expect(localDateOf(instant, 'Australia/Sydney')).toBe('2026-10-01');
    expect(localDateOf(instant, 'America/New_York')).toBe('2026-09-30');
    expect(localDateOf(instant, 'UTC')).toBe('2026-09-30');
  });
});
