import { ANY, NO_STREAM, STREAM_EXISTS, WrongExpectedVersionError, UnavailableError } from '@eventstore/db-client';
import {
  allStreamFilter,
  appendSizeOf,
  checkAppendSize,
  comparePositions,
  decodePosition,
  encodePosition,
  fromEsdbCurrentRevision,
  isTransientEsdbError,
  mapEsdbError,
  matchesAllFilter,
  toEsdbExpectedRevision,
  toRecordedEvent,
} from '../../src/infrastructure/eventstoredb/mapping';
import {
  AppendTooLargeError,
  EventStoreUnavailableError,
  WrongExpectedRevisionError,
} from '../../src/ports/event-store';

describe('EventStoreDB mapping', () => {
  describe('positions', () => {
    it('round-trips commit and prepare positions, and the strings sort in log order', () => {
      const positions = [
        { commit: 0n, prepare: 0n },
        { commit: 255n, prepare: 200n },
        { commit: 255n, prepare: 255n },
        { commit: 4096n, prepare: 4000n },
        { commit: 2n ** 63n - 1n, prepare: 2n ** 63n - 1n },
      ];
      const encoded = positions.map(encodePosition);
      expect(encoded.map(decodePosition)).toEqual(positions);
      expect([...encoded].reverse().sort()).toEqual(encoded);
      for (let i = 1; i < encoded.length; i++) {
        expect(comparePositions(encoded[i]!, encoded[i - 1]!)).toBe(1);
        expect(comparePositions(encoded[i - 1]!, encoded[i]!)).toBe(-1);
      }
      expect(comparePositions(encoded[2]!, encodePosition({ commit: 255n, prepare: 255n }))).toBe(0);
    });

    it('refuses a position of another store', () => {
      expect(() => decodePosition('42')).toThrow("'42' is not a position of this event store");
      expect(() => decodePosition('zz-00')).toThrow();
    });
  });

  describe('revisions', () => {
    it('maps expected revisions to the client and current revisions back', () => {
      expect(toEsdbExpectedRevision('any')).toBe(ANY);
      expect(toEsdbExpectedRevision('no_stream')).toBe(NO_STREAM);
      expect(toEsdbExpectedRevision('stream_exists')).toBe(STREAM_EXISTS);
      expect(toEsdbExpectedRevision(0)).toBe(0n);
      expect(toEsdbExpectedRevision(41)).toBe(41n);
      expect(() => toEsdbExpectedRevision(-1)).toThrow('invalid expected revision');
      expect(fromEsdbCurrentRevision(NO_STREAM)).toBe('no_stream');
      expect(fromEsdbCurrentRevision(7n)).toBe(7);
    });
  });

  describe('errors', () => {
    it("maps the client's wrong-expected-version error to the port's, both ways of revision", () => {
      const clientError = new WrongExpectedVersionError(undefined, {
        streamName: 'upload-1',
        expected: NO_STREAM,
        current: 3n,
      });
      const mapped = mapEsdbError(clientError, { streamName: 'upload-1', expected: 'no_stream' });
      expect(mapped).toBeInstanceOf(WrongExpectedRevisionError);
      expect(mapped).toMatchObject({ streamName: 'upload-1', expected: 'no_stream', actual: 3 });

      const numeric = new WrongExpectedVersionError(undefined, { streamName: 's', expected: 5n, current: NO_STREAM });
      expect(mapEsdbError(numeric, {})).toMatchObject({ expected: 5, actual: 'no_stream' });
    });

    it('maps an unreachable server to EventStoreUnavailableError and passes other errors through', () => {
      const unavailable = new UnavailableError({
        code: 14,
        details: 'No connection established',
        metadata: {},
      } as never);
      expect(mapEsdbError(unavailable, {})).toBeInstanceOf(EventStoreUnavailableError);
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2113'), { code: 'ECONNREFUSED' });
      expect(mapEsdbError(refused, {})).toBeInstanceOf(EventStoreUnavailableError);
      const other = new Error('bug');
      expect(mapEsdbError(other, {})).toBe(other);
    });

    it('resubscribes after unavailable, refused, not-leader and deadline errors only', () => {
      const unavailable = new UnavailableError({ code: 14, details: 'gone', metadata: {} } as never);
      expect(isTransientEsdbError(unavailable)).toBe(true);
      expect(isTransientEsdbError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
      expect(isTransientEsdbError(Object.assign(new Error('leader moved'), { type: 'not-leader' }))).toBe(true);
      expect(isTransientEsdbError(Object.assign(new Error('deadline'), { type: 'deadline-exceeded' }))).toBe(true);
      expect(isTransientEsdbError(Object.assign(new Error('denied'), { type: 'access-denied' }))).toBe(false);
      expect(isTransientEsdbError(Object.assign(new Error('deleted'), { type: 'stream-deleted' }))).toBe(false);
      expect(isTransientEsdbError(new Error('cannot decode the event'))).toBe(false);
    });
  });

  describe('append size', () => {
    const event = (i: number, bytes: number) => ({ id: `id-${i}`, type: 'T', data: { pad: 'x'.repeat(bytes) } });

    it('takes an append under the limit whole and refuses one over it, naming the event or the count', () => {
      const events = Array.from({ length: 10 }, (_, i) => event(i, 300));
      const size = appendSizeOf(events[0]!);
      expect(() => checkAppendSize(events, size * 10)).not.toThrow();
      expect(() => checkAppendSize([], 10)).not.toThrow();
      expect(() => checkAppendSize(events, size * 10 - 1)).toThrow(AppendTooLargeError);
      expect(() => checkAppendSize(events, size * 3)).toThrow(/an append of 10 events is \d+ bytes, over .* limit/);
      expect(() => checkAppendSize([event(9, 5_000)], 1_000)).toThrow(
        /event id-9 \(T\) is \d+ bytes, over .* 1000 bytes/,
      );
    });
  });

  describe('filters', () => {
    it('filters $all on the service prefixes on the server, or excludes system events', () => {
      expect(allStreamFilter(['upload-', 'prices-'])).toMatchObject({
        filterOn: 'streamName',
        prefixes: ['upload-', 'prices-'],
      });
      expect(allStreamFilter(undefined)).toMatchObject({ filterOn: 'eventType', regex: '^[^$].*' });
      expect(() => allStreamFilter(['$ce-'])).toThrow('name system streams');
    });

    it('applies the same rule to events read from $all', () => {
      expect(matchesAllFilter({ streamId: 'upload-1', type: 'FileReceived' }, ['upload-'])).toBe(true);
      expect(matchesAllFilter({ streamId: 'prices-BG-2026-10-01', type: 'X' }, ['upload-'])).toBe(false);
      expect(matchesAllFilter({ streamId: '$stats-0.0.0.0:2113', type: '$statsCollected' }, undefined)).toBe(false);
      expect(matchesAllFilter({ streamId: 'upload-1', type: '$metadata' }, undefined)).toBe(false);
      expect(matchesAllFilter({ streamId: 'anything', type: 'Fact' }, [])).toBe(true);
    });
  });

  describe('recorded events', () => {
    const base = {
      streamId: 'upload-1',
      id: '0b5e4d84-6f4d-4a38-9d55-1fd6f8d8f1a1',
      revision: 2n,
      type: 'ReadingsAccepted',
      created: new Date('2026-10-01T00:00:00Z'),
      position: { commit: 10n, prepare: 9n },
    };

    it('maps a JSON event with its revision, position and metadata', () => {
      const recorded = toRecordedEvent({ ...base, isJson: true, data: { a: 1 }, metadata: { by: 'admin' } });
      expect(recorded).toEqual({
        id: base.id,
        type: 'ReadingsAccepted',
        data: { a: 1 },
        metadata: { by: 'admin' },
        streamName: 'upload-1',
        revision: 2,
        position: encodePosition(base.position),
        created: base.created,
      });
      expect(toRecordedEvent({ ...base, isJson: true, data: {}, metadata: undefined }).metadata).toEqual({});
    });

    it('hands binary payloads over as bytes (JSON written as binary as JSON), and needs a position', () => {
      const json = toRecordedEvent({ ...base, isJson: false, data: Buffer.from('{"b":2}'), metadata: undefined });
      expect(json.data).toEqual({ b: 2 });
      const bytes = new Uint8Array([0x52, 0x44, 0x47, 0x53, 0xff, 0x00]);
      expect(toRecordedEvent({ ...base, isJson: false, data: bytes, metadata: undefined }).data).toEqual(bytes);
      // Looks like JSON but is not: the bytes as they are, never a crash of the subscription.
      const broken = new Uint8Array([0x7b, 0xff]);
      expect(toRecordedEvent({ ...base, isJson: false, data: broken, metadata: undefined }).data).toEqual(broken);
      expect(appendSizeOf({ id: 'x', type: 'ReadingsAccepted', data: new Uint8Array(1000) })).toBe(1000 + 2 + 16 + 36);
      const { position: _ignored, ...noPosition } = base;
      expect(() => toRecordedEvent({ ...noPosition, isJson: true, data: {}, metadata: {} })).toThrow(
        'without a position',
      );
    });
  });
});
