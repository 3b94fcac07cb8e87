/**
 * A format can make no request's work grow beyond its rows: a timestamp pattern's optional parts and
 * length are capped before any expansion, every text and list is bounded, tokens Luxon cannot read
 * together are refused, and junk or a prototype's name in any field is a `FormatError` naming that field.
 */
import { ZonedClock } from '../../src/domain/time/zoned-time';
import { planFormat } from '../../src/domain/readings/format/planning';
import {
  checkFormat,
  encodingOf,
  FORMAT_LIMITS,
  FormatError,
  type ReadingsFormatRequest,
} from '../../src/domain/readings/format/request';
import { checkFormatOnSample } from '../../src/domain/readings/format/sample-check';
import { timeParser } from '../../src/domain/readings/format/times';

const isValidTimeZone = (zone: string) => ZonedClock.isValidTimeZone(zone);
const clock = new ZonedClock('Europe/Sofia');
const defaults = { timeZone: 'Europe/Sofia', delimiter: ',' as const };
const sample = {
  header: ['metering_point_id', 'timestamp', 'kwh'],
  rows: [{ line: 2, fields: ['MP1', '2026-10-01T00:00:00Z', '0.5'] }],
};

/** The field a request is refused for, or null when it is let through; any other error fails the test. */
function refusedField(request: ReadingsFormatRequest): string | null {
  try {
    checkFormat(request, isValidTimeZone);
    checkFormatOnSample(request, sample, defaults, clock);
    return null;
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    return error.field;
  }
}

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];
const JUNK = [...PROTOTYPE_NAMES, '', ' ', '\u0000', '\uFFFD', 'x'.repeat(FORMAT_LIMITS.text + 1), '[[[[[', '%s%n'];

describe('a timestamp pattern', () => {
  it('with 24 optional parts is refused naming the field, the count and the limit, before any expansion', () => {
    // 2^24 variants would be built (and every row tried against each) if it were expanded.
    const pattern = `yyyy-MM-dd HH:mm${'[ ]'.repeat(24)}`;
    let refused: unknown;
    try {
      checkFormat({ timestampFormat: pattern }, isValidTimeZone);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(FormatError);
    expect((refused as FormatError).field).toBe('timestampFormat');
    expect((refused as FormatError).message).toMatch(/24 optional \[\.\.\.\] parts; at most 4/);
  });

  it.each([5, 17, 64])('with %i optional parts is refused', (parts) => {
    expect(refusedField({ timestampFormat: `yyyy-MM-dd${'[x]'.repeat(parts)}` })).toBe('timestampFormat');
  });

  it('with the limit of optional parts is read', () => {
    expect(FORMAT_LIMITS.optionalParts).toBe(4);
    const pattern = "yyyy-MM-dd[ ][ ][ ][ ]'T'HH:mm";
    expect(refusedField({ timestampFormat: pattern })).toBe('timestampFormat'); // the sample is ISO: no match
    const parse = timeParser(pattern, 'timestamp');
    expect(parse('2026-10-01T00:00', clock)).toMatchObject({ ok: true });
    expect(parse('2026-10-01    T00:00', clock)).toMatchObject({ ok: true });
  });

  it('longer than its limit is refused naming its length', () => {
    const pattern = `yyyy-MM-dd${"'x'".repeat(30)}`;
    expect(() => checkFormat({ timestampFormat: pattern }, isValidTimeZone)).toThrow(
      /timestampFormat is 100 characters long; at most 64/,
    );
  });

  it.each([
    ['a meridiem with a 24-hour clock', 'yyyy-MM-dd HH:mm a'],
    ['week numbers with a calendar date', 'kkkk-WW yyyy-MM-dd'],
  ])('whose tokens Luxon cannot read together (%s) is refused, not thrown at the first row', (_case, pattern) => {
    expect(refusedField({ timestampFormat: pattern })).toBe('timestampFormat');
    expect(() => checkFormat({ timestampFormat: pattern }, isValidTimeZone)).toThrow(/cannot be read/);
  });
});

describe('junk and prototype names in every field', () => {
  const textFields: Array<[string, (value: string) => ReadingsFormatRequest]> = [
    ['delimiter', (value) => ({ delimiter: value })],
    ['timeZone', (value) => ({ timeZone: value })],
    ['unit', (value) => ({ unit: value })],
    ['encoding', (value) => ({ encoding: value })],
    ['channel', (value) => ({ channel: value })],
    ['timestampFormat', (value) => ({ timestampFormat: value })],
  ];
  it.each(textFields.flatMap(([field, request]) => JUNK.map((value) => [field, value, request] as const)))(
    '%s %j is refused naming the field',
    (field, value, request) => {
      expect(refusedField(request(value))).toBe(field);
    },
  );

  const columnFields: Array<[string, (value: string) => ReadingsFormatRequest]> = [
    ['meterColumn', (value) => ({ meterColumn: { name: value } })],
    ['timestampColumn', (value) => ({ timestampColumn: { name: value } })],
    ['valueColumn', (value) => ({ valueColumn: { name: value } })],
    ['qualityColumn', (value) => ({ qualityColumn: { name: value } })],
    ['channelColumn', (value) => ({ channelColumn: { name: value } })],
    ['filter.column', (value) => ({ filter: { column: { name: value }, value: 'x' } })],
  ];
  it.each(columnFields.flatMap(([field, request]) => JUNK.map((value) => [field, value, request] as const)))(
    '%s %j (a column the header lacks, or no name at all) is refused naming the field',
    (field, value, request) => {
      expect(refusedField(request(value))).toBe(field);
    },
  );

  it.each([0, -1, 1.5, FORMAT_LIMITS.columnIndex + 1, Number.MAX_SAFE_INTEGER + 2, Number.NaN])(
    'a column position %p out of range is refused naming the field',
    (index) => {
      expect(refusedField({ valueColumn: { index } })).toBe('valueColumn');
    },
  );

  it('a filter value or a channel mapping over the text limit is refused naming it', () => {
    const long = 'v'.repeat(FORMAT_LIMITS.text + 1);
    expect(refusedField({ filter: { column: { name: 'kwh' }, value: long } })).toBe('filter.value');
    expect(
      refusedField({
        channelColumn: { name: 'kwh' },
        channelKinds: [
          { value: 'E1', kind: 'IMPORT' },
          { value: long, kind: 'EXPORT' },
        ],
      }),
    ).toBe('channelKinds[1].value');
  });

  it('more channelKinds entries than the limit are refused naming the count', () => {
    const kinds = Array.from({ length: FORMAT_LIMITS.channelKinds + 1 }, (_, i) => ({
      value: `E${i}`,
      kind: 'IMPORT' as const,
    }));
    expect(() => checkFormat({ channelColumn: { name: 'channel' }, channelKinds: kinds }, isValidTimeZone)).toThrow(
      /channelKinds has 65 entries; at most 64/,
    );
  });

  it('prototype names are no encoding, and the aliases still are', () => {
    for (const name of PROTOTYPE_NAMES) expect(encodingOf(name)).toBeNull();
    expect(encodingOf('latin1')).toBe('iso-8859-1');
  });

  it('prototype names in channelKinds and as header columns are plain values', () => {
    const planned = planFormat(
      ['constructor', 'timestamp', 'kwh', '__proto__'],
      {
        meterColumn: { name: 'constructor' },
        channelColumn: { name: '__proto__' },
        channelKinds: [{ value: 'toString', kind: 'EXPORT' }],
      },
      defaults,
    );
    expect(planned.ok).toBe(true);
    if (!planned.ok || planned.plan.kind !== 'LONG' || planned.plan.channel.source !== 'COLUMN')
      throw new Error('long plan');
    expect(planned.plan.channel.channelOf('toString')).toEqual({ id: 'toString', kind: 'EXPORT' });
    expect(planned.plan.channel.channelOf('constructor')).toBeNull();
    expect(planned.plan.channel.channelOf('hasOwnProperty')).toBeNull();
  });
});

describe('a header', () => {
  it('of a WIDE sheet with 200,000 time columns is planned (no spread of its steps onto the stack)', () => {
    const times = Array.from({ length: 200_000 }, (_, i) => `${Math.floor((i % 48) / 2)}:${i % 2 === 0 ? '00' : '30'}`);
    const planned = planFormat(['Meter', 'Date', ...times], {}, defaults);
    expect(planned).toMatchObject({ ok: true, plan: { kind: 'WIDE', format: { intervalMinutes: 30 } } });
  });

  it("with a very long column name keeps it short in the format and in every row's reason", () => {
    const name = `kwh${'x'.repeat(60_000)}`;
    const planned = planFormat(['metering_point_id', 'timestamp', name], { valueColumn: { index: 3 } }, defaults);
    if (!planned.ok || planned.plan.kind !== 'LONG') throw new Error('long plan');
    expect(planned.plan.value.name.length).toBeLessThanOrEqual(121);
    expect(planned.plan.format.valueColumn.length).toBeLessThanOrEqual(121);
  });
});
