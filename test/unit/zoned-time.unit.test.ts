import { ZonedClock } from '../../src/domain/time/zoned-time';

const sofia = new ZonedClock('Europe/Sofia');
const local = (y: number, mo: number, d: number, h: number, mi: number) => ({
  year: y,
  month: mo,
  day: d,
  hour: h,
  minute: mi,
  second: 0,
  millisecond: 0,
});

describe('ZonedClock', () => {
  it('reads a summer time local time with the +03:00 offset', () => {
    expect(sofia.toInstant(local(2026, 7, 1, 12, 0))).toEqual({
      kind: 'ok',
      instant: Date.parse('2026-07-01T09:00:00Z'),
    });
  });

  it('reports spring-forward local times as nonexistent', () => {
    // 2026-03-29: 03:00 EET becomes 04:00 EEST in Sofia
    expect(sofia.toInstant(local(2026, 3, 29, 3, 30)).kind).toBe('nonexistent');
  });

  it('reports fall-back local times as ambiguous with both instants', () => {
    // 2026-10-25: 04:00 EEST becomes 03:00 EET, so 03:30 happens twice
    expect(sofia.toInstant(local(2026, 10, 25, 3, 30))).toEqual({
      kind: 'ambiguous',
      earlier: Date.parse('2026-10-25T00:30:00Z'),
      later: Date.parse('2026-10-25T01:30:00Z'),
    });
  });

  it('knows the 25-hour and 23-hour days', () => {
    const dayLength = (y: number, mo: number, d: number) =>
      (sofia.startOfLocalDay(y, mo, d + 1) - sofia.startOfLocalDay(y, mo, d)) / 3_600_000;
    expect(dayLength(2026, 10, 25)).toBe(25);
    expect(dayLength(2026, 3, 29)).toBe(23);
    expect(dayLength(2026, 10, 24)).toBe(24);
  });

  it('validates zone names', () => {
    expect(ZonedClock.isValidTimeZone('Europe/Sofia')).toBe(true);
    expect(ZonedClock.isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
