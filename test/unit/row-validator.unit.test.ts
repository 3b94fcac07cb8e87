import { planFormat } from '../../src/domain/readings/format/planning';
import { RowValidator } from '../../src/domain/readings/row-validator';
import { parseTimestamp } from '../../src/domain/readings/timestamp';
import { ZonedClock } from '../../src/domain/time/zoned-time';

const clock = new ZonedClock('Europe/Sofia');
const rules = { resolutionMinutes: 15, maxKwhPerReading: 1000 };
const columns = { meter: 0, timestamp: 1, kwh: 2, width: 3 };
const validator = () => new RowValidator(columns, rules, clock);
const codes = (outcome: ReturnType<RowValidator['validate']>) =>
  outcome.accepted ? [] : outcome.reasons.map((r) => r.code);

describe('parseTimestamp', () => {
  it.each([
    ['2026-10-01T00:15:00+03:00', '2026-09-30T21:15:00.000Z'],
    ['2026-10-01T00:15:00Z', '2026-10-01T00:15:00.000Z'],
    ['2026-10-01T00:15+0300', '2026-09-30T21:15:00.000Z'],
    ['2026-10-01 00:15:00+03:00', '2026-09-30T21:15:00.000Z'],
    ['1649401200', '2022-04-08T07:00:00.000Z'],
    ['1649401200000', '2022-04-08T07:00:00.000Z'],
    ['2026-07-01T12:00:00', '2026-07-01T09:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    const result = parseTimestamp(text, clock);
    expect(result.ok && new Date(result.instant).toISOString()).toBe(iso);
  });

  it.each([
    ['2026-10-01/99', 'TIMESTAMP_INVALID'],
    ['2026-02-30T00:00:00Z', 'TIMESTAMP_INVALID'],
    ['2026-10-01T24:00:00Z', 'TIMESTAMP_INVALID'],
    ['164940120', 'TIMESTAMP_INVALID'],
    ['2026-03-29T03:15:00', 'TIMESTAMP_NONEXISTENT'],
    ['2026-10-25T03:15:00', 'TIMESTAMP_AMBIGUOUS'],
  ])('refuses %s with %s', (text, code) => {
    const result = parseTimestamp(text, clock);
    expect(result.ok ? null : result.reason.code).toBe(code);
  });
});

describe('RowValidator', () => {
  it('accepts a good row as a reading with exact micro-kWh', () => {
    expect(validator().validate(2, ['MP1', '2026-10-01T00:15:00+03:00', '0.1234'])).toEqual({
      accepted: true,
      reading: { meter: 'MP1', startMs: Date.parse('2026-09-30T21:15:00Z'), kwhMicro: 123_400 },
      rounded: false,
    });
    expect(validator().validate(2, ['MP1', '2026-10-01T00:15:00+03:00', '999.999999'])).toMatchObject({
      reading: { kwhMicro: 999_999_999 },
    });
    expect(validator().validate(2, ['MP1', '2026-10-01T00:15:00+03:00', '7'])).toMatchObject({
      reading: { kwhMicro: 7_000_000 },
    });
  });

  it.each([
    ['1.4529999', 1_453_000],
    ['0.1234565', 123_457],
    ['0.1234564999', 123_456],
    ['0.0000004', 0],
    ['999.9999995', 1_000_000_000],
    ['2.00000000', 2_000_000],
  ])('accepts %s, more than 6 decimals, rounded half up to %i micro-kWh and marked rounded', (kwh, micro) => {
    expect(validator().validate(2, ['MP1', '2026-10-01T00:15:00Z', kwh])).toEqual({
      accepted: true,
      reading: { meter: 'MP1', startMs: Date.parse('2026-10-01T00:15:00Z'), kwhMicro: micro },
      rounded: true,
    });
  });

  it.each([
    [['MP1', '2026-10-01T00:15:00Z', '-0.5'], ['KWH_NEGATIVE']],
    [['MP1', '2026-10-01T00:15:00Z', 'abc'], ['KWH_INVALID']],
    [['MP1', '2026-10-01T00:15:00Z', '0,5x'], ['KWH_INVALID']],
    [['MP1', '2026-10-01T00:15:00Z', '1e3'], ['KWH_INVALID']],
    [['MP1', '2026-10-01T00:15:00Z', '1000.5'], ['KWH_TOO_LARGE']],
    [['MP1', '2026-10-01T00:15:00Z', ''], ['KWH_MISSING']],
    [['', '2026-10-01T00:15:00Z', '1'], ['METER_ID_MISSING']],
    [['MP 1', '2026-10-01T00:15:00Z', '1'], ['METER_ID_INVALID']],
    [['M'.repeat(65), '2026-10-01T00:15:00Z', '1'], ['METER_ID_INVALID']],
    [['MP1', '2026-10-01T00:07:00Z', '1'], ['TIMESTAMP_OFF_GRID']],
    [['MP1', '2026-10-01T00:15:00.5Z', '1'], ['TIMESTAMP_OFF_GRID']],
    [
      ['', 'x', '-1'],
      ['METER_ID_MISSING', 'TIMESTAMP_INVALID', 'KWH_NEGATIVE'],
    ],
    [['MP1', '2026-10-01T00:15:00Z'], ['FIELD_COUNT']],
  ])('rejects %j with %j', (fields, expected) => {
    expect(codes(validator().validate(2, fields))).toEqual(expected);
  });

  it('keeps the first row of an interval and names its line, however the time is written', () => {
    const v = validator();
    expect(v.validate(2, ['MP1', '2026-10-01T03:00:00+03:00', '1']).accepted).toBe(true);
    const second = v.validate(7, ['MP1', '2026-10-01T00:00:00Z', '2']);
    expect(codes(second)).toEqual(['DUPLICATE_READING']);
    expect(second.accepted ? '' : second.reasons[0]?.message).toContain('line 2');
    expect(v.validate(8, ['MP2', '2026-10-01T00:00:00Z', '2']).accepted).toBe(true);
    expect(v.meterCount).toBe(2);
  });

  it("names the first row's line for every meter-day, across the index's chunks, until the claims are released", () => {
    const v = validator();
    // 3 days of 200 meters: 600 meter-days, more than two chunks of the index.
    const day = (d: number, hour: number) => `2026-10-0${d}T${String(hour).padStart(2, '0')}:45:00Z`;
    let line = 2;
    const firstLine = new Map<string, number>();
    for (let d = 1; d <= 3; d++)
      for (let m = 0; m < 200; m++)
        for (const hour of [0, 23]) {
          const key = `MP${m}|${day(d, hour)}`;
          firstLine.set(key, line);
          expect(v.validate(line++, [`MP${m}`, day(d, hour), '1']).accepted).toBe(true);
        }
    for (const [key, first] of firstLine) {
      const [meter, time] = key.split('|') as [string, string];
      const again = v.validate(line++, [meter, time, '2']);
      expect(codes(again)).toEqual(['DUPLICATE_READING']);
      expect(again.accepted ? '' : again.reasons[0]?.message).toContain(`on line ${first};`);
    }
    v.releaseClaims();
    expect(v.meterCount).toBe(0);
    expect(v.validate(line, ['MP7', day(2, 23), '1']).accepted).toBe(true);
  });

  it('trims fields', () => {
    expect(validator().validate(2, [' MP1 ', ' 2026-10-01T00:15:00Z', '0.5\r']).accepted).toBe(true);
  });
});

describe('planFormat on the base header', () => {
  const plan = (fields: string[]) => planFormat(fields, {}, { timeZone: 'Europe/Sofia', delimiter: ',' });

  it('matches names case-insensitively, in any order, ignoring extra columns', () => {
    const result = plan(['KWH', ' Timestamp ', 'note', 'Metering_Point_ID']);
    expect(result.ok && result.plan.kind === 'LONG').toBe(true);
    if (!result.ok || result.plan.kind !== 'LONG') return;
    expect([result.plan.meter.index, result.plan.timestamp.index, result.plan.value.index, result.plan.width]).toEqual([
      3, 1, 0, 4,
    ]);
    expect(result.plan.format).toMatchObject({ dialect: 'BASE', detected: true, unit: 'kWh', timestampFormat: 'ISO' });
  });

  it('explains a semicolon file and how to read it', () => {
    const result = plan(['metering_point_id;timestamp;kwh']);
    expect(result.ok ? null : result.code).toBe('WRONG_DELIMITER');
    expect(result.ok ? '' : result.reason).toContain('semicolon');
    expect(result.ok ? '' : result.reason).toContain('delimiter: ";"');
  });

  it('explains a file without header', () => {
    expect(plan(['MP1', '2026-10-01T00:15:00Z', '0.5'])).toMatchObject({ ok: false, code: 'NO_HEADER' });
  });

  it('names the missing columns', () => {
    const result = plan(['metering_point_id', 'time', 'kwh']);
    expect(result).toMatchObject({ ok: false, code: 'MISSING_COLUMNS' });
    expect(result.ok ? '' : result.reason).toContain('lacks the column timestamp');
  });
});
