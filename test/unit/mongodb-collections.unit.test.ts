import {
  BILLING_COLLECTIONS,
  collectionName,
  INDEXES,
  invoiceWrites,
  parseInvoiceId,
  priceDayWrites,
  meterDayDocument,
  meterDayOf,
  meterDayWrites,
  pendingDayWrites,
  prefixRange,
  appliedPendingWrites,
  type PendingDayDocument,
  stagedBatchWrite,
  redactUrl,
  rejectedRowWrites,
  UPLOAD_COLLECTIONS,
  rebuildGeneration,
  retiredGenerations,
  uploadWrites,
} from '../../src/infrastructure/mongodb/collections';
import {
  Binary,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoWriteConcernError,
} from 'mongodb';
import { encodePosition } from '../../src/infrastructure/eventstoredb/mapping';
import { mapMongoError, withPortErrors } from '../../src/infrastructure/mongodb/errors';
import {
  checkpointUpdate,
  fenceUpdate,
  leaseUpdate,
  positionOrder,
} from '../../src/infrastructure/mongodb/mongo-projection-state';
import { applyPipeline } from '../support/mongo-pipeline';
import { ReadStoreUnavailableError } from '../../src/ports/read-store-errors';
import { invoiceDoc, meterDay, uploadDoc } from '../contract/read-models.contract';

describe('MongoDB read-model mapping', () => {
  it('puts a unique index on the natural key of every read-model collection', () => {
    const naturalKeys: Record<string, string[]> = {
      uploads: ['uploadId'],
      rejected_rows: ['uploadId', 'line'],
      staged_batches: ['uploadId', 'batch'],
      applied_uploads: ['uploadId'],
      pending_days: ['uploadId', 'meter', 'date'],
      prepared_uploads: ['uploadId'],
      prices: ['market', 'start'],
      daily_usage: ['meter', 'date'],
      invoices: ['month', 'meter'],
    };
    for (const base of [...UPLOAD_COLLECTIONS, ...BILLING_COLLECTIONS]) {
      const unique = (INDEXES[base] ?? []).filter((index) => index.unique === true);
      expect(unique.map((index) => Object.keys(index.key))).toContainEqual(naturalKeys[base]);
    }
    // The listing order is unique too, so two uploads never share a place.
    expect(INDEXES.uploads?.find((index) => index.name === 'seq_unique')?.unique).toBe(true);
  });

  it('serves each query filter from an index prefix', () => {
    const keysOf = (base: string) => (INDEXES[base] ?? []).map((index) => Object.keys(index.key).join(','));
    expect(keysOf('staged_batches')).toContain('uploadId,batch'); // an upload's staged batches, in pages
    expect(keysOf('prices')).toContain('market,deliveryDate'); // replace a delivery day
    expect(keysOf('daily_usage')).toContain('date,meter'); // dailyTotals(date), a date's days by meter
    expect(keysOf('invoices')).toContain('meter,month'); // latestInvoices(meter)
    expect(keysOf('uploads')).toContain('sha256,status,duplicateOf,seq'); // duplicate check
  });

  it('names rebuild collections apart from the live ones', () => {
    expect(collectionName('invoices', '')).toBe('invoices');
    expect(collectionName('invoices', '__rebuild')).toBe('invoices__rebuild');
  });

  it('numbers new uploads in batch order and leaves existing ones their number', () => {
    const ops = uploadWrites(
      [uploadDoc('a'), uploadDoc('b', { status: 'VALIDATED' }), uploadDoc('c')],
      new Set(['b']),
      41,
    );
    expect(ops).toEqual([
      {
        updateOne: {
          filter: { uploadId: 'a' },
          update: {
            $set: { sha256: 'sha-a', status: 'RECEIVED', duplicateOf: null, doc: uploadDoc('a') },
            $setOnInsert: { seq: 42 },
          },
          upsert: true,
        },
      },
      {
        updateOne: {
          filter: { uploadId: 'b' },
          update: {
            $set: {
              sha256: 'sha-b',
              status: 'VALIDATED',
              duplicateOf: null,
              doc: uploadDoc('b', { status: 'VALIDATED' }),
            },
          },
          upsert: true,
        },
      },
      expect.objectContaining({
        updateOne: expect.objectContaining({ update: expect.objectContaining({ $setOnInsert: { seq: 43 } }) }),
      }),
    ]);
  });

  it('inserts a rejected row only when its (upload, line) is new', () => {
    expect(rejectedRowWrites([{ uploadId: 'u', line: 3, raw: 'r', reasons: [] }])).toEqual([
      {
        updateOne: {
          filter: { uploadId: 'u', line: 3 },
          update: { $setOnInsert: { raw: 'r', reasons: [] } },
          upsert: true,
        },
      },
    ]);
  });

  it('upserts readings, days and invoices on their natural keys', () => {
    const day = meterDay('M', '2026-10-01', 7);
    expect(meterDayWrites([day])).toEqual([
      { replaceOne: { filter: { meter: 'M', date: '2026-10-01' }, replacement: meterDayDocument(day), upsert: true } },
    ]);
    // An upload's pending day carries its id; applied, it is the billed day's document exactly.
    const [pending] = pendingDayWrites('u1', [day]);
    expect(pending).toEqual({
      replaceOne: {
        filter: { uploadId: 'u1', meter: 'M', date: '2026-10-01' },
        replacement: { uploadId: 'u1', ...meterDayDocument(day) },
        upsert: true,
      },
    });
    const pendingDocument = (pending as { replaceOne: { replacement: PendingDayDocument } }).replaceOne.replacement;
    expect(appliedPendingWrites([pendingDocument])).toEqual(meterDayWrites([day]));
    const bytes = new Uint8Array([1, 2, 3]);
    expect(stagedBatchWrite('u1', 4, bytes)).toEqual({
      replaceOne: {
        filter: { uploadId: 'u1', batch: 4 },
        replacement: { uploadId: 'u1', batch: 4, data: new Binary(bytes) },
        upsert: true,
      },
    });
    const invoice = invoiceDoc('M', '2026-10', 7);
    expect(invoiceWrites([invoice])).toEqual([
      { replaceOne: { filter: { month: '2026-10', meter: 'M' }, replacement: invoice, upsert: true } },
    ]);
  });

  it("keeps a day's quality marks in its binary slots, not as fields of the document, and finds series by prefix", () => {
    const day = meterDay('M#EXPORT#B1', '2026-10-01', 7);
    const marked = { ...day, marks: new Uint8Array(96).fill(0), markNames: ['A', 'E'] };
    marked.marks[0] = 1;
    marked.marks[5] = 2;
    const document = meterDayDocument(marked);
    expect(document).not.toHaveProperty('marks');
    expect(document).not.toHaveProperty('markNames');
    expect(meterDayOf(document)).toEqual(marked);
    expect(prefixRange('M#EXPORT#')).toEqual({ $gte: 'M#EXPORT#', $lt: 'M#EXPORT#\uffff' });
  });

  it("stores a meter-day's slots as binary and reads them back equal", () => {
    const day = meterDay('M', '2026-10-01', 7);
    const document = meterDayDocument(day);
    // Four readings as u32 behind a 3-byte head and 12 bytes of presence bits.
    expect(document.slots.value().byteLength).toBe(3 + 12 + 4 * 4);
    expect(document).not.toHaveProperty('_id');
    expect(document).not.toHaveProperty('values');
    expect(meterDayOf(document)).toEqual(day);
    // Read back from a buffer at an odd offset, as a driver may hand it over.
    const shifted = new Uint8Array(document.slots.value().byteLength + 1);
    shifted.set(document.slots.value(), 1);
    const odd = { ...document, slots: new Binary(shifted.subarray(1)) };
    expect(meterDayOf(odd)).toEqual(day);
  });

  it('replaces a whole delivery day of prices: delete first, then upsert each interval', () => {
    const ops = priceDayWrites([
      {
        market: 'BG',
        deliveryDate: '2026-10-01',
        intervals: [
          { start: 0, end: 10, priceMicro: 3 },
          { start: 10, end: 20, priceMicro: 4 },
        ],
      },
    ]);
    expect(ops[0]).toEqual({ deleteMany: { filter: { market: 'BG', deliveryDate: '2026-10-01' } } });
    expect(ops.slice(1)).toEqual([
      {
        updateOne: {
          filter: { market: 'BG', start: 0 },
          update: { $set: { deliveryDate: '2026-10-01', end: 10, priceMicro: 3 } },
          upsert: true,
        },
      },
      {
        updateOne: {
          filter: { market: 'BG', start: 10 },
          update: { $set: { deliveryDate: '2026-10-01', end: 20, priceMicro: 4 } },
          upsert: true,
        },
      },
    ]);
  });

  it('parses invoice ids, whose meter may itself hold a colon', () => {
    expect(parseInvoiceId('2026-10:MP-1')).toEqual({ month: '2026-10', meter: 'MP-1' });
    expect(parseInvoiceId('2026-10:a:b')).toEqual({ month: '2026-10', meter: 'a:b' });
    expect(parseInvoiceId('nocolon')).toBeNull();
  });

  it('never shows a password of a connection string', () => {
    expect(redactUrl('mongodb://billing:s3cret@mongo:27017/db')).toBe('mongodb://billing:***@mongo:27017/db');
    expect(redactUrl('mongodb+srv://u:p@x.example.net')).toBe('mongodb+srv://u:***@x.example.net');
    expect(redactUrl('mongodb://mongo:27017/db')).toBe('mongodb://mongo:27017/db');
  });
});

describe('MongoDB errors', () => {
  it('turns "server cannot be reached" driver errors into the port error and passes others through', () => {
    const lost = new MongoNetworkError('connection 3 to 10.0.0.5:27017 closed');
    const mapped = mapMongoError(lost);
    expect(mapped).toBeInstanceOf(ReadStoreUnavailableError);
    expect((mapped as Error).message).toBe('MongoDB is unavailable: connection 3 to 10.0.0.5:27017 closed');
    expect(mapMongoError(new MongoNotConnectedError('not connected'))).toBeInstanceOf(ReadStoreUnavailableError);
    const duplicate = new MongoServerError({ message: 'E11000 duplicate key', code: 11000 });
    expect(mapMongoError(duplicate)).toBe(duplicate);
  });

  it('takes no primary, a step-down, a shutdown, a time limit and a majority not reached for unavailable', () => {
    for (const error of [
      new MongoServerError({ message: 'not primary', code: 10107 }),
      new MongoServerError({ message: 'primary stepped down', code: 189 }),
      new MongoServerError({ message: 'interrupted due to repl state change', code: 11602 }),
      new MongoServerError({ message: 'shutdown in progress', code: 91 }),
      new MongoServerError({ message: 'operation exceeded time limit', code: 50 }),
      new MongoOperationTimeoutError('Timed out during server selection'),
      new MongoWriteConcernError({
        ok: 1,
        writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' },
      }),
    ]) {
      expect([error.message, mapMongoError(error) instanceof ReadStoreUnavailableError]).toEqual([error.message, true]);
    }
    const aborted = new MongoServerError({ message: 'transaction aborted', code: 251 });
    aborted.addErrorLabel('TransientTransactionError');
    expect(mapMongoError(aborted)).toBeInstanceOf(ReadStoreUnavailableError);
    const invalid = new MongoServerError({ message: 'bad update', code: 9 });
    expect(mapMongoError(invalid)).toBe(invalid);
  });

  it('maps the rejections of every async query of an adapter, leaving results and sync values alone', async () => {
    const adapter = {
      name: 'queries',
      ok: () => Promise.resolve(42),
      down: () => Promise.reject(new MongoNetworkError('socket hang up')),
      bug: () => Promise.reject(new TypeError('bug')),
      sync: (n: number) => n + 1,
    };
    const guarded = withPortErrors(adapter);
    expect(guarded.name).toBe('queries');
    expect(guarded.sync(1)).toBe(2);
    await expect(guarded.ok()).resolves.toBe(42);
    await expect(guarded.down()).rejects.toBeInstanceOf(ReadStoreUnavailableError);
    await expect(guarded.bug()).rejects.toBeInstanceOf(TypeError);
  });
});

describe('MongoDB checkpoints', () => {
  const at = (n: number) => new Date(Date.UTC(2026, 10, 22, 0, 0, n));

  it('orders positions of either log as the log does', () => {
    expect(positionOrder('9') < positionOrder('10')).toBe(true);
    expect(positionOrder('123456789012') < positionOrder('123456789013')).toBe(true);
    const esdb = (commit: bigint) => encodePosition({ commit, prepare: commit });
    expect(positionOrder(esdb(0xffn)) < positionOrder(esdb(0x100n))).toBe(true);
    expect(positionOrder(esdb(5n))).toBe(esdb(5n));
  });

  it('moves a checkpoint forward, never back, and creates it when absent', () => {
    const created = applyPipeline({ _id: 'billing' }, checkpointUpdate('9', at(1)), at(1));
    expect(created).toEqual({ _id: 'billing', position: '9', order: positionOrder('9'), updatedAt: at(1) });
    const forward = applyPipeline(created, checkpointUpdate('10', at(2)), at(2));
    expect(forward).toMatchObject({ position: '10', updatedAt: at(2) });
    const late = applyPipeline(forward, checkpointUpdate('9', at(3)), at(3));
    expect(late).toEqual(forward);
    const same = applyPipeline(forward, checkpointUpdate('10', at(4)), at(4));
    expect(same).toEqual(forward);
    // A document of an older version has no order: the next write replaces it.
    const older = applyPipeline(
      { _id: 'billing', position: '500', updatedAt: at(0) },
      checkpointUpdate('501', at(5)),
      at(5),
    );
    expect(older).toMatchObject({ position: '501', order: positionOrder('501') });
  });

  it('gives the lease to its holder or when it ran out, by the server clock, and to nobody else', () => {
    const now = at(10);
    const held = { _id: 'projector', holder: 'a', expiresAt: at(20), token: 4 };
    expect(applyPipeline(held, leaseUpdate('b', 15_000), now)).toEqual(held);
    // A renewal keeps the token.
    expect(applyPipeline(held, leaseUpdate('a', 15_000), now)).toEqual({ ...held, expiresAt: at(25) });
    // A take-over, or the holder itself taking it again after it ran out, is a new tenure: the next token.
    const expired = { ...held, expiresAt: at(5) };
    expect(applyPipeline(expired, leaseUpdate('b', 15_000), now)).toEqual({
      ...held,
      holder: 'b',
      expiresAt: at(25),
      token: 5,
    });
    expect(applyPipeline(expired, leaseUpdate('a', 15_000), now)).toEqual({ ...held, expiresAt: at(25), token: 5 });
    expect(applyPipeline({ _id: 'projector' }, leaseUpdate('c', 15_000), now)).toEqual({
      _id: 'projector',
      holder: 'c',
      expiresAt: at(25),
      token: 1,
    });
    // A lease of a version before tokens: run out (a number for expiresAt sorts before any date).
    expect(applyPipeline({ _id: 'projector', holder: 'old', expiresAt: 99 }, leaseUpdate('d', 15_000), now)).toEqual({
      _id: 'projector',
      holder: 'd',
      expiresAt: at(25),
      token: 1,
    });
  });

  it("raises a projection fence to the writer's token and never lowers it", () => {
    const first = applyPipeline({ _id: 'fence:billing' }, fenceUpdate(3), at(0));
    expect(first).toEqual({ _id: 'fence:billing', token: 3, writes: 1 });
    const later = applyPipeline(first, fenceUpdate(5), at(1));
    expect(later).toEqual({ _id: 'fence:billing', token: 5, writes: 2 });
    // An old tenure's write leaves the fence at the later token (the adapter then refuses the transaction).
    expect(applyPipeline(later, fenceUpdate(3), at(2))).toEqual({ _id: 'fence:billing', token: 5, writes: 3 });
  });

  it('rebuilds into the generation readers do not use, and clears only retired ones', () => {
    expect(rebuildGeneration('')).toBe('__a');
    expect(rebuildGeneration('__a')).toBe('__b');
    expect(rebuildGeneration('__b')).toBe('__a');
    // The pre-generation collections stay while live; once retired, the next rebuild clears them.
    expect(retiredGenerations('', '__a')).toEqual(['__b', '__rebuild']);
    expect(retiredGenerations('__a', '__b')).toEqual(['', '__rebuild']);
    expect(retiredGenerations('__b', '__a')).toEqual(['', '__rebuild']);
    expect(collectionName('daily_usage', '__b')).toBe('daily_usage__b');
  });
});
