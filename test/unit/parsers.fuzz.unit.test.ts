/**
 * Property-based tests (fast-check, fixed seed) over the pure parsers and checks that read outside text:
 * decimals, e-mail/VAT/IBAN/address checks, timestamps (ISO, epoch and Luxon patterns), energy values,
 * format requests, hints, the fast row scanner, quoted lines and the price sources' answers. Each
 * property holds for everyday texts and for attack-shaped ones (a fragment repeated to tens of kilobytes):
 * the answer is a result or the module's own error with a reason, never another error, and it comes
 * within a bound on time per byte (test/support/fuzz.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import fc from 'fast-check';
import { normalizeDecimal, parseMicro } from '../../src/domain/accounts/decimal';
import { validateBilling, validateEmail, validateVatId } from '../../src/domain/accounts/parties';
import { AccountRuleError } from '../../src/domain/accounts/rule-error';
import { validIban, validateSupplier } from '../../src/domain/accounts/supplier';
import { checkFormat, encodingOf, FormatError, unitOf, UNITS } from '../../src/domain/readings/format/request';
import { dateParser, timeParser } from '../../src/domain/readings/format/times';
import { energyToMicro } from '../../src/domain/readings/format/values';
import {
  decimalCommaHint,
  matchingTimestampFormats,
  splitDecimalCommaHint,
  timestampFormatHint,
} from '../../src/domain/readings/hints';
import { parseTimestamp } from '../../src/domain/readings/timestamp';
import { patternVariants } from '../../src/domain/readings/timestamp-patterns';
import { ZonedClock } from '../../src/domain/time/zoned-time';
import { FastRowReader } from '../../src/ingestion/fast-rows';
import { quotedFieldsOnly, splitQuotedLine } from '../../src/ingestion/spool';
import { parseEnergyCharts } from '../../src/pricing/sources/energy-charts';
import { parseEntsoeDayAhead } from '../../src/pricing/sources/entsoe';
import { PriceSourceError } from '../../src/pricing/sources/price-series';
import { ipv6Groups, isPrivateAddress } from '../../src/webhooks/target-guard';
import { onlyOwnErrors, PROTOTYPE_NAMES, pumped, runs, textFrom, withinTimeBound } from '../support/fuzz';

const clock = new ZonedClock('Europe/Sofia');

describe('decimals (parseMicro, normalizeDecimal)', () => {
  const DECIMAL = ['0', '1', '9', '00', '.', '-', ' ', '+', 'e', ',', '000000', '123456789012'];

  it('reads any text as millionths or null, in time', () => {
    fc.assert(
      fc.property(textFrom(DECIMAL), (text) => {
        const micro = withinTimeBound(text, () => parseMicro(text));
        expect(micro === null || typeof micro === 'bigint').toBe(true);
        if (micro !== null) expect(parseMicro(normalizeDecimal(micro))).toBe(micro);
      }),
      runs(300),
    );
  });

  it('writes any amount one way that reads back the same', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n - 1n), max: 10n ** 18n - 1n }), (micro) => {
        const text = normalizeDecimal(micro);
        expect(text).not.toMatch(/\.\d*0$/);
        expect(parseMicro(text)).toBe(micro);
      }),
      runs(300),
    );
  });
});

describe('parties: e-mail, VAT id, IBAN, address, supplier', () => {
  const EMAIL = ['a', 'a.', '.', '@', 'a@', ' ', '\t', 'b-c', 'é', '+', '..', '@.'];
  const VAT = ['DE', '1', '9', ' ', '+', '*', '.', 'a', 'ZZ'];
  const IBAN = ['DE', '89', '0', '1', '9', 'A', 'Z', ' ', 'GB82WEST', '12345698765432'];

  it('an e-mail is accepted or refused naming the field, in time', () => {
    fc.assert(
      fc.property(textFrom(EMAIL), (text) => {
        const result = withinTimeBound(text, () =>
          onlyOwnErrors(AccountRuleError, () => validateEmail(text, 'f.email')),
        );
        if (result instanceof AccountRuleError) expect(result.message).toContain('f.email');
        else if (result !== null) {
          expect(result.length).toBeLessThanOrEqual(254);
          expect(result).toMatch(/^[^\s@]+@[^\s@]+$/);
          expect(result.slice(result.indexOf('@') + 2, -1)).toContain('.');
        }
      }),
      runs(300),
    );
  });

  it('a VAT id and an IBAN are accepted or refused, in time', () => {
    fc.assert(
      fc.property(textFrom(VAT), textFrom(IBAN), (vat, iban) => {
        const result = withinTimeBound(vat, () => onlyOwnErrors(AccountRuleError, () => validateVatId(vat, 'f.vatId')));
        if (result instanceof AccountRuleError) expect(result.message).toContain('f.vatId');
        else expect(result).toMatch(/^[A-Z]{2}[A-Z0-9+*.]{2,12}$/);
        expect(typeof withinTimeBound(iban, () => validIban(iban))).toBe('boolean');
      }),
      runs(200),
    );
  });

  it('a whole supplier or billing input is taken or refused naming a field, never another error', () => {
    const text = fc.oneof(textFrom([...EMAIL, ...VAT, ...IBAN], 4_000), fc.constantFrom(...PROTOTYPE_NAMES));
    const address = fc.record({ street: text, city: text, postalCode: text, countryCode: text });
    fc.assert(
      fc.property(
        fc.record({
          legalName: text,
          vatId: text,
          iban: text,
          bic: fc.option(text),
          email: fc.option(text),
          phone: fc.option(text),
          registrationId: fc.option(text),
          paymentTerms: fc.option(text),
          address,
        }),
        fc.record({ address, vatId: fc.option(text), buyerReference: fc.option(text), email: fc.option(text) }),
        (supplier, billing) => {
          const size = JSON.stringify([supplier, billing]);
          for (const result of [
            withinTimeBound(size, () => onlyOwnErrors(AccountRuleError, () => validateSupplier(supplier))),
            withinTimeBound(size, () => onlyOwnErrors(AccountRuleError, () => validateBilling(billing))),
          ]) {
            if (result instanceof AccountRuleError) expect(result.message).toMatch(/^(supplier|billing)\./);
          }
        },
      ),
      runs(200),
    );
  });
});

describe('timestamps', () => {
  const TIME = ['2026', '-', '10', '01', 'T', ':', '00', '15', 'Z', '+', '03:00', ' ', '.', '000', '9', '1790802900'];
  const PATTERNS = [
    'ISO',
    'EPOCH_S',
    'EPOCH_MS',
    'dd.MM.yyyy HH:mm[:ss]',
    'd/M/yyyy H:mm[:ss]',
    'yyyyMMddHHmm[ss]',
    'yyyy-MM-dd HH:mm',
    "yyyy-MM-dd'T'HH:mm:ss.SSS",
    'd.M.yy h:mm a',
    'dd MMM yyyy HH:mm',
  ];

  it('an ISO or epoch timestamp is read or refused with a reason, in time', () => {
    fc.assert(
      fc.property(textFrom(TIME), (text) => {
        const result = withinTimeBound(text, () => parseTimestamp(text, clock));
        if (!result.ok) expect(result.reason.message.length).toBeGreaterThan(5);
        else expect(Number.isFinite(result.instant)).toBe(true);
      }),
      runs(300),
    );
  });

  it('a pattern reads a text or refuses it with a reason (and a hint), in time', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATTERNS), textFrom([...TIME, '/', 'PM', 'Oct']), (pattern, text) => {
        const read = timeParser(pattern, 'timestamp');
        const result = withinTimeBound(text, () => read(text, clock));
        if (!result.ok) expect(result.reason.message).toContain(pattern === 'ISO' ? '' : "'");
        const date = dateParser(pattern === 'ISO' || pattern.startsWith('EPOCH') ? 'yyyy-MM-dd' : pattern);
        withinTimeBound(text, () => date(text));
        withinTimeBound(text, () => matchingTimestampFormats(text));
        expect(typeof withinTimeBound(text, () => timestampFormatHint(text))).toBe('string');
      }),
      runs(300),
    );
  });

  it("a pattern's optional parts expand, however its brackets are written, in time", () => {
    const PARTS = ['[', 'y', 'M', 'd', ' ', 'H', ':', 'mm', "'", '[[', 'x'];
    const pattern = fc
      .tuple(pumped(PARTS, 20_000), fc.array(fc.constantFrom(']', '[:ss]', 'y]', ']]'), { maxLength: 3 }))
      .map(([head, tail]) => head + tail.join(''));
    fc.assert(
      fc.property(pattern, (text) => {
        const variants = withinTimeBound(text, () => patternVariants(text));
        expect(variants.length).toBeGreaterThan(0);
        expect(variants.length).toBeLessThanOrEqual(64);
      }),
      runs(100),
    );
  });
});

describe('energy values and format requests', () => {
  const VALUE = ['0', '1', '5', '.', ',', '-', 'e', '3', ' ', '999999', '000000'];

  it('a value is read to exact millionths or refused with a reason, in time', () => {
    fc.assert(
      fc.property(textFrom(VALUE), fc.constantFrom(...UNITS), fc.boolean(), (text, unit, comma) => {
        const result = withinTimeBound(text, () => energyToMicro(text, unit, comma, 'kwh', 10_000));
        if (result.ok) {
          expect(Number.isSafeInteger(result.micro)).toBe(true);
          expect(result.micro).toBeGreaterThanOrEqual(0);
          expect(result.micro).toBeLessThanOrEqual(10_000_000_000);
        } else expect(result.reason.field).toBe('kwh');
        expect(typeof decimalCommaHint(text)).toBe('string');
        expect(typeof splitDecimalCommaHint(text.split(','), 3)).toBe('string');
      }),
      runs(300),
    );
  });

  it('a format request is taken or refused naming a field, never another error; names are looked up, not keys', () => {
    const name = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES, 'utf8', 'kWh', 'latin1', 'WH', ' cp1252 '), fc.string());
    const column = fc.oneof(fc.record({ name }), fc.record({ index: fc.integer({ min: -3, max: 70 }) }));
    const request = fc.record(
      {
        dialect: fc.constantFrom('BASE', 'LP', 'TOU', 'WIDE', 'NEM12', 'XLS', '__proto__') as fc.Arbitrary<never>,
        meterColumn: column,
        timestampColumn: column,
        valueColumn: column,
        delimiter: fc.constantFrom(',', ';', '\t', '|', ''),
        decimalComma: fc.boolean(),
        timestampFormat: fc.oneof(fc.constantFrom('ISO', 'EPOCH_S', 'd/M/yyyy H:mm[:ss]', 'yyyy'), fc.string()),
        timeZone: fc.constantFrom('Europe/Sofia', 'UTC', 'Mars/Base', 'constructor'),
        unit: name,
        intervalMinutes: fc.integer({ min: -5, max: 90 }),
        timestampMarks: fc.constantFrom('START', 'END') as fc.Arbitrary<'START' | 'END'>,
        encoding: name,
        channel: name,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(request, name, (format, text) => {
        const result = onlyOwnErrors(FormatError, () =>
          checkFormat(format, (zone) => zone === 'Europe/Sofia' || zone === 'UTC'),
        );
        if (result instanceof FormatError) expect(result.message.length).toBeGreaterThan(10);
        const encoding = encodingOf(text);
        expect(encoding === null || ['utf-8', 'windows-1252', 'iso-8859-1', 'iso-8859-15'].includes(encoding)).toBe(
          true,
        );
        const unit = unitOf(text);
        expect(unit === null || (UNITS as readonly string[]).includes(unit)).toBe(true);
      }),
      runs(300),
    );
  });
});

describe('rows and lines', () => {
  const ROW = [
    'MP1',
    ',',
    '2026-10-01T00:15:00Z',
    '2026-10-01T00:15:00+03:00',
    '0.5',
    '"',
    '""',
    '\r',
    ' ',
    '1',
    'é',
    ';',
  ];

  it('the fast scanner says yes only to a row the rules would take, in time, whatever the bytes', () => {
    const reader = new FastRowReader(
      { meter: 0, timestamp: 1, kwh: 2, width: 3 },
      { resolutionMinutes: 15, maxKwhPerReading: 10_000 },
      clock,
    );
    fc.assert(
      fc.property(
        fc.oneof(
          textFrom(ROW),
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
        ),
        (text) => {
          const buffer = Buffer.from(text, 'utf8');
          const yes = withinTimeBound(buffer, () => reader.read(buffer, 0, buffer.length));
          if (yes) {
            const [meter, time, kwh] = text.split(',');
            expect(reader.meter).toBe(meter);
            expect(reader.startMs).toBe(Date.parse(time!));
            expect(reader.kwhMicro).toBe(Math.round(Number(kwh) * 1_000_000));
          }
        },
      ),
      runs(400),
    );
  });

  it('a line of quoted fields is split as csv-parse splits it, in time', () => {
    const LINE = ROW.filter((fragment) => fragment !== '\r');
    fc.assert(
      fc.property(textFrom(LINE), (text) => {
        const bytes = Buffer.from(text, 'utf8');
        if (text === '' || !withinTimeBound(bytes, () => quotedFieldsOnly(bytes))) return;
        const fields = withinTimeBound(text, () => splitQuotedLine(text));
        expect(fields).toEqual(parseCsv(text, { relax_column_count: true })[0]);
      }),
      runs(300),
    );
  });
});

describe('webhook target addresses', () => {
  it('an address is read as eight groups or refused, in time', () => {
    const ADDRESS = ['1', '.', ':', '::', '%', 'ff', 'ffff', '127', '0', 'eth0', '255', 'g'];
    fc.assert(
      fc.property(textFrom(ADDRESS), (text) => {
        const groups = withinTimeBound(text, () => ipv6Groups(text));
        if (groups !== null) expect(groups).toHaveLength(8);
        expect(typeof withinTimeBound(text, () => isPrivateAddress(text))).toBe('boolean');
      }),
      runs(200),
    );
  });
});

describe('price answers', () => {
  const a44 = readFileSync(join(__dirname, '..', 'fixtures', 'prices', 'entsoe', 'day-ahead-prices-resp.xml'), 'utf8');
  const XML = [
    '<TimeSeries>',
    '</TimeSeries>',
    '<Period>',
    '</Period>',
    '<Point>',
    '</Point>',
    '<position>1</position>',
    '<price.amount>12.5</price.amount>',
    '<code ',
    '<',
    '>',
    'x',
    ' ',
    '<resolution>PT60M</resolution>',
    '<timeInterval><start>2023-08-06T22:00Z</start><end>2023-08-07T22:00Z</end></timeInterval>',
    'Publication_MarketDocument',
    'Unauthorized',
    'Acknowledgement_MarketDocument',
    '<Reason>',
  ];

  it('an ENTSO-E answer is read or refused with a PriceSourceError, in time', () => {
    const cut = fc.tuple(fc.nat(a44.length), fc.nat(a44.length), textFrom(XML, 20_000)).map(([a, b, middle]) => {
      const [from, to] = a < b ? [a, b] : [b, a];
      return a44.slice(0, from) + middle + a44.slice(to);
    });
    // Each kind of answer the parser tells apart, with attack-shaped text inside.
    const document = fc
      .tuple(
        fc.constantFrom('', '<Publication_MarketDocument>', 'Unauthorized ', '<Acknowledgement_MarketDocument>'),
        fc.oneof(textFrom(XML), pumped(['<', '<code ', '<TimeSeries>', '<Point>', 'x', ' ', '<position>1'])),
      )
      .map(([head, text]) => head + text);
    fc.assert(
      fc.property(fc.oneof(document, cut), (body) => {
        const result = withinTimeBound(body, () => onlyOwnErrors(PriceSourceError, () => parseEntsoeDayAhead(body)));
        if (!(result instanceof Error))
          for (const point of result.points) expect(Number.isFinite(point.price)).toBe(true);
      }),
      runs(200),
    );
  });

  it('an Energy-Charts answer is read or refused with a PriceSourceError, in time', () => {
    const JSONS = ['{', '}', '[', ']', '"unit":"EUR/MWh"', '"price":', '"unix_seconds":', '1', 'null', ',', ' ', '"'];
    const answer = fc.oneof(
      textFrom(JSONS),
      fc
        .record({
          unit: fc.constantFrom('EUR/MWh', 'EUR / MWh', 'USD'),
          unix_seconds: fc.array(fc.oneof(fc.integer(), fc.double(), fc.string()), { maxLength: 50 }),
          price: fc.array(fc.oneof(fc.constant(null), fc.double(), fc.string()), { maxLength: 50 }),
        })
        .map((value) => JSON.stringify(value)),
    );
    fc.assert(
      fc.property(answer, (body) => {
        withinTimeBound(body, () => onlyOwnErrors(PriceSourceError, () => parseEnergyCharts(body)));
      }),
      runs(200),
    );
  });
});
