import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnergyCharts } from '../../src/pricing/sources/energy-charts';
import { parseEntsoeDayAhead } from '../../src/pricing/sources/entsoe';

const fixture = (path: string) => readFileSync(join(__dirname, '..', 'fixtures', 'prices', path), 'utf8');
const a44 = fixture('entsoe/day-ahead-prices-resp.xml');

describe('ENTSO-E A44', () => {
  it('reads both days of the real answer, hourly, with negative prices', () => {
    const series = parseEntsoeDayAhead(a44);
    expect(series.resolutionMinutes).toBe(60);
    expect(series.points).toHaveLength(48);
    expect(series.points[0]).toEqual({ start: Date.parse('2023-08-06T22:00:00Z'), price: -0.19 });
    expect(series.points[1]?.price).toBe(-1.2);
    expect(series.points[47]?.start).toBe(Date.parse('2023-08-08T21:00:00Z'));
  });

  it('forward-fills an A03 curve whose repeated positions were left out', () => {
    const full = parseEntsoeDayAhead(a44);
    // Derive A03 from the real answer: drop each point whose price equals the previous one's.
    let previous: string | null = null;
    const a03 = a44
      .replace(/<curveType>A01<\/curveType>/g, '<curveType>A03</curveType>')
      .replace(
        /<Point>\s*<position>(\d+)<\/position>\s*<price\.amount>([^<]+)<\/price\.amount>\s*<\/Point>/g,
        (whole, position: string, price: string) => {
          const drop = position !== '1' && price === previous;
          previous = price;
          return drop ? '' : whole;
        },
      );
    expect(a03.match(/<Point>/g)!.length).toBeLessThan(48);
    expect(parseEntsoeDayAhead(a03)).toEqual(full);
  });

  it('leaves a missing A01 position as a gap', () => {
    const gap = a44.replace(/<Point>\s*<position>5<\/position>[\s\S]*?<\/Point>/, '');
    const series = parseEntsoeDayAhead(gap);
    expect(series.points).toHaveLength(47);
    expect(series.points.some((p) => p.start === Date.parse('2023-08-07T02:00:00Z'))).toBe(false);
  });

  it('reads a 15-minute day', () => {
    const quarter = a44.replace(/PT60M/g, 'PT15M');
    const series = parseEntsoeDayAhead(quarter);
    expect(series.resolutionMinutes).toBe(15);
    expect(series.points[1]?.start).toBe(Date.parse('2023-08-06T22:15:00Z'));
  });

  it('explains an acknowledgement and an unauthorized answer', () => {
    expect(() => parseEntsoeDayAhead(fixture('entsoe/bad-request-resp.xml'))).toThrow(
      /reason 999 'Bad request message from API'/,
    );
    expect(() => parseEntsoeDayAhead(fixture('entsoe/unauth-resp.xml'))).toThrow(
      /refused the request: .*Unauthorized.*ENTSOE_TOKEN/,
    );
  });
});

describe('Energy-Charts', () => {
  const body = fixture('energy-charts/energy-charts_price_DE-LU_2024-05-04_from_code_comment.json');

  it('reads the real answer', () => {
    const series = parseEnergyCharts(body);
    expect(series.resolutionMinutes).toBe(60);
    expect(series.points).toHaveLength(24);
    expect(series.points[0]).toEqual({ start: 1714773600 * 1000, price: 90.8 });
  });

  it('accepts the unit spelled with spaces and keeps null prices as gaps', () => {
    const json = JSON.parse(body);
    json.unit = 'EUR / MWh';
    json.price[3] = null;
    const series = parseEnergyCharts(JSON.stringify(json));
    expect(series.points).toHaveLength(23);
  });

  it('refuses another unit', () => {
    const json = JSON.parse(body);
    json.unit = 'ct/kWh';
    expect(() => parseEnergyCharts(JSON.stringify(json))).toThrow(/expected EUR\/MWh/);
  });
});
