/**
 * Object.prototype's names as outside data, in the pure functions that look them up (issue 32, item 4):
 * a dictionary without a prototype read by own keys, the intervals FileValidated records and the billing
 * projection reads (as made now, and as older events stored them in JSON), an encoding, a price source's
 * resolution, a GraphQL variable and a signature header.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getOperationAST, parse } from 'graphql';
import { jsonDictionary, ownValue } from '../../src/domain/json-dictionary';
import { meterIntervalOf, seriesIntervalOf, type FileValidated } from '../../src/domain/readings/events';
import { encodingOf } from '../../src/domain/readings/format/request';
import { intervalsOf } from '../../src/domain/readings/upload-decider';
import { queryCost } from '../../src/graphql/query-budget';
import { parseEntsoeDayAhead } from '../../src/pricing/sources/entsoe';
import { verifySignature } from '../../src/webhooks/signature';

const PROTO = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const;

const validated = (data: Partial<FileValidated['data']>): FileValidated['data'] => ({
  uploadId: 'u',
  totalRows: 0,
  acceptedRows: 0,
  rejectedRows: 0,
  meters: 0,
  firstIntervalStart: null,
  lastIntervalStart: null,
  duplicateOf: null,
  validatedAt: '2026-10-01T00:00:00Z',
  ...data,
});

/** What an event store hands back: the event's data as stored JSON, parsed. */
const stored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('a JSON dictionary keyed by outside data', () => {
  it('keeps every prototype name as its own key, and answers only its own keys', () => {
    const dictionary = jsonDictionary(PROTO.map((name, i) => [name, i + 1]));
    for (const [i, name] of PROTO.entries()) expect([name, ownValue(dictionary, name)]).toEqual([name, i + 1]);
    expect(Object.keys(dictionary)).toEqual([...PROTO]);
    expect(ownValue(jsonDictionary([]), 'constructor')).toBeUndefined();
    expect(ownValue(undefined, 'constructor')).toBeUndefined();
    // Stored and read back as JSON (a plain object then, with Object.prototype): still own keys only.
    const back = stored(dictionary);
    expect(JSON.stringify(dictionary)).toContain('"__proto__":1');
    for (const [i, name] of PROTO.entries()) expect([name, ownValue(back, name)]).toEqual([name, i + 1]);
    expect(ownValue(stored({}) as Record<string, number>, 'toString')).toBeUndefined();
  });
});

describe('a meter interval named like a prototype member', () => {
  it('reads the interval of a meter named constructor or __proto__ from an event as written before the fix', () => {
    // Older events hold otherIntervals as a plain JSON object, empty when every meter shared one interval.
    const older = stored(validated({ intervalMinutes: 60, otherIntervals: {} }));
    for (const meter of PROTO) expect([meter, meterIntervalOf(older, meter, 15)]).toEqual([meter, 60]);
    const withOthers = JSON.parse(
      '{"intervalMinutes":15,"otherIntervals":{"__proto__":30,"constructor":5},"seriesIntervals":{"valueOf#EXPORT#B1":30}}',
    ) as FileValidated['data'];
    expect(meterIntervalOf(withOthers, '__proto__', 15)).toBe(30);
    expect(meterIntervalOf(withOthers, 'constructor', 15)).toBe(5);
    expect(meterIntervalOf(withOthers, 'toString', 15)).toBe(15);
    expect(seriesIntervalOf(withOthers, 'valueOf#EXPORT#B1')).toBe(30);
    expect(seriesIntervalOf(withOthers, 'valueOf')).toBeUndefined();
    expect(seriesIntervalOf(withOthers, 'constructor')).toBeUndefined();
    // The oldest events have neither: the server's resolution.
    expect(meterIntervalOf(stored(validated({})), 'hasOwnProperty', 15)).toBe(15);
  });

  it('records prototype-named meters in otherIntervals as own keys that survive the log', () => {
    const recorded = intervalsOf([
      { meter: '__proto__', minutes: 30, how: 'DECLARED' },
      { meter: 'constructor', minutes: 30, how: 'DECLARED' },
      { meter: 'toString', minutes: 15, how: 'DECLARED' },
      { meter: 'valueOf', minutes: 15, how: 'DECLARED' },
      { meter: 'MP1', minutes: 15, how: 'DECLARED' },
    ]);
    expect(recorded.intervalMinutes).toBe(15);
    expect(Object.keys(recorded.otherIntervals!)).toEqual(['__proto__', 'constructor']);
    const replayed = stored(validated(recorded));
    expect(PROTO.map((meter) => meterIntervalOf(replayed, meter, 60))).toEqual([30, 30, 15, 15, 15]);
    expect(meterIntervalOf(replayed, 'MP1', 60)).toBe(15);
  });
});

describe('other names from outside', () => {
  it('knows no encoding named like a prototype member', () => {
    for (const name of PROTO) expect([name, encodingOf(name)]).toEqual([name, null]);
    expect(encodingOf('latin1')).toBe('iso-8859-1');
  });

  it("refuses a price source's resolution named like a prototype member, by name", () => {
    const a44 = readFileSync(
      join(__dirname, '..', 'fixtures', 'prices', 'entsoe', 'day-ahead-prices-resp.xml'),
      'utf8',
    );
    const answer = (resolution: string) => a44.replace(/PT60M/g, resolution);
    expect(parseEntsoeDayAhead(answer('PT60M')).resolutionMinutes).toBe(60);
    for (const name of PROTO)
      expect(() => parseEntsoeDayAhead(answer(name))).toThrow(`resolution '${name}' is not supported`);
  });

  it("costs a GraphQL variable named like a prototype member by the request's own variables only", () => {
    const document = parse(
      'query($constructor: Int, $toString: String) { uploads(first: $constructor) { totalCount } }',
    );
    expect(queryCost(document, getOperationAST(document)!, {})).toBe(50);
    expect(queryCost(document, getOperationAST(document)!, { constructor: 7 })).toBe(7);
  });

  it('answers false, never throws, for a signature header of prototype names', () => {
    for (const header of ['__proto__=1,constructor=2', 'toString=1', 't=__proto__,v1=constructor'])
      expect(verifySignature('s3cret', '{}', header, 1_800_000_000)).toBe(false);
  });
});
