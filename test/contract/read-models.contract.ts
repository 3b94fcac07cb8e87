/**
 * Contracts of the read-model ports. Every adapter runs these same suites: SQLite always, MongoDB when
 * MONGODB_URL is set. Each test gets a fresh, empty store (a new database or file).
 */
import type { DailyUsageDoc, PriceInterval } from '../../src/domain/billing/daily-usage';
import type { InvoiceDoc } from '../../src/domain/billing/invoice';
import type { MeterDayKey, MeterDayRow, MeterDaySlots } from '../../src/domain/billing/meter-day';
import type {
  BillingProjectionStore,
  BillingQueries,
  BillingRequest,
  PriceDay,
  StagedBatch,
} from '../../src/ports/billing-read-model';
import type {
  ProjectionCheckpoints,
  ProjectionVersions,
  ProjectorFence,
  ProjectorLease,
} from '../../src/ports/projection-state';
import { FencedOffError } from '../../src/ports/read-store-errors';
import { LeaseFence } from '../../src/projections/leased-projector';
import type { UploadProjectionStore, UploadQueries } from '../../src/ports/upload-read-model';
import type { AccountDoc } from '../../src/domain/accounts/account';
import type { AccountsProjectionStore, AccountsQueries, IssuedDocument } from '../../src/ports/accounts-read-model';
import type { UploadStatusDoc } from '../../src/domain/readings/upload-status';

/** A fresh read-model store: live copies (suffix '') and rebuild copies, and how to swap one in. */
export interface ReadModelFixture {
  /** With a fence, every write is refused unless the fence holds the lease's current tenure. */
  uploads(suffix: string, fence?: ProjectorFence): UploadProjectionStore & UploadQueries;
  billing(suffix: string, fence?: ProjectorFence): BillingProjectionStore & BillingQueries;
  accounts(suffix: string): AccountsProjectionStore & AccountsQueries;
  promoteUploads(suffix: string): Promise<void>;
  promoteBilling(suffix: string): Promise<void>;
  checkpoints: ProjectionCheckpoints;
  versions: ProjectionVersions;
  lease: ProjectorLease;
  dispose(): Promise<void>;
}

const REBUILD = '__rebuild';

export function uploadDoc(uploadId: string, overrides: Partial<UploadStatusDoc> = {}): UploadStatusDoc {
  return {
    uploadId,
    fileName: `${uploadId}.csv`,
    status: 'RECEIVED',
    byteSize: 100,
    sha256: `sha-${uploadId}`,
    uploadedBy: 'admin',
    receivedAt: '2026-10-01T08:00:00.000Z',
    finishedAt: null,
    totalRows: 0,
    acceptedRows: 0,
    rejectedRows: 0,
    meters: 0,
    firstIntervalStart: null,
    lastIntervalStart: null,
    duplicateOf: null,
    message: null,
    revision: 0,
    position: '1',
    ...overrides,
  };
}

export function dailyDoc(meter: string, date: string, totalKwhMicro: number): DailyUsageDoc {
  return {
    meter,
    date,
    totalKwhMicro,
    minKwhMicro: 0,
    maxKwhMicro: totalKwhMicro,
    intervals: 96,
    expectedIntervals: 96,
    pricedIntervals: 96,
    pricedKwhMicro: totalKwhMicro,
    costFemto: String(BigInt(totalKwhMicro) * 123_000_000n),
    qualityMarks: '',
  };
}

export function invoiceDoc(meter: string, month: string, totalKwhMicro: number): InvoiceDoc {
  return {
    id: `${month}:${meter}`,
    meter,
    month,
    totalKwhMicro,
    costFemto: '123456789000000000000',
    energyCost: '123.46',
    currency: 'EUR',
    averagePricePerKwh: '0.1235',
    averageDailyKwh: 1.5,
    daysWithReadings: 31,
    intervals: 2976,
    expectedIntervals: 2980,
    unpricedIntervals: 0,
    status: 'MISSING_READINGS',
  };
}

const key = (meter: string, date: string): MeterDayKey => ({ meter, date });

/** Slots of a test meter-day: four readings, the first one `kwhMicro`, one slot left empty. */
function slots(kwhMicro: number) {
  const values = new Float64Array(96);
  const present = new Uint8Array(96);
  [kwhMicro, 2, 3].forEach((value, i) => {
    values[i] = value;
    present[i] = 1;
  });
  values[5] = 7;
  present[5] = 1;
  return { dayStart: 1_790_000_000_000, intervalMinutes: 15, values, present };
}

/** A staged readings batch: its bytes stand for the event's payload, which the store keeps as it is. */
export function stagedBatch(batch: number, fill: number, length = 64): StagedBatch {
  return { batch, bytes: new Uint8Array(length).fill(fill) };
}

export function meterDay(meter: string, date: string, totalKwhMicro: number): MeterDayRow {
  return { ...dailyDoc(meter, date, totalKwhMicro), ...slots(totalKwhMicro) };
}

/** Staged batches as plain bytes, whatever byte type the driver hands back. */
const plainBatches = (batches: unknown): StagedBatch[] =>
  (batches as StagedBatch[]).map(({ batch, bytes }) => ({ batch, bytes: new Uint8Array(bytes) }));

const sortByKey = (rows: MeterDaySlots[]): MeterDaySlots[] =>
  [...rows].sort((a, b) => (a.meter === b.meter ? a.date.localeCompare(b.date) : a.meter.localeCompare(b.meter)));

/** What `meterDays`/`meterDaysOfDate` promise: a meter-day's key and slots (a store may give more). */
const slotsPart = (rows: unknown): MeterDaySlots[] =>
  (rows as MeterDaySlots[]).map(({ meter, date, dayStart, intervalMinutes, values, present }) => ({
    meter,
    date,
    dayStart,
    intervalMinutes,
    values,
    present,
  }));

/** Runs these requests as one program on the store and gives back each answer. */
export async function run(store: BillingProjectionStore, requests: readonly BillingRequest[]): Promise<unknown[]> {
  const answers: unknown[] = [];
  await store.run(function* () {
    answers.length = 0;
    for (const request of requests) answers.push(yield request);
  });
  return answers;
}

export function readModelContract(adapter: string, create: () => Promise<ReadModelFixture>): void {
  describe(`read-model contract: ${adapter}`, () => {
    let fixture: ReadModelFixture;
    beforeEach(async () => {
      fixture = await create();
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    describe('upload status', () => {
      it('commits uploads and rejected rows with the checkpoint, and reads them back', async () => {
        const store = fixture.uploads('');
        expect(await store.getCheckpoint()).toBeNull();
        await store.commit({
          uploads: [uploadDoc('u1', { status: 'VALIDATED', rejectedRows: 2 })],
          rejectedRows: [
            {
              uploadId: 'u1',
              line: 7,
              raw: 'x,y',
              reasons: [{ code: 'TIMESTAMP_INVALID', message: 'no', field: 'ts' }],
            },
            { uploadId: 'u1', line: 3, raw: 'a,b', reasons: [{ code: 'KWH_NEGATIVE', message: 'neg' }] },
          ],
          checkpoint: '5',
        });
        expect(await store.getCheckpoint()).toBe('5');
        expect(await store.getUpload('u1')).toEqual(uploadDoc('u1', { status: 'VALIDATED', rejectedRows: 2 }));
        expect(await store.getUpload('nope')).toBeNull();
        expect([...(await store.loadUploads(['u1', 'u2', 'u1'])).keys()]).toEqual(['u1']);
        const rows = await store.listRejectedRows('u1', 10, null);
        expect(rows.totalCount).toBe(2);
        expect(rows.items.map((i) => i.node)).toEqual([
          { uploadId: 'u1', line: 3, raw: 'a,b', reasons: [{ code: 'KWH_NEGATIVE', message: 'neg' }] },
          { uploadId: 'u1', line: 7, raw: 'x,y', reasons: [{ code: 'TIMESTAMP_INVALID', message: 'no', field: 'ts' }] },
        ]);
        expect(await fixture.checkpoints.get('upload-status')).toBe('5');
      });

      it('never moves a checkpoint back: a late commit of an older position leaves the newer one', async () => {
        const store = fixture.uploads('');
        await store.commit({ uploads: [uploadDoc('a')], rejectedRows: [], checkpoint: '10' });
        await store.commit({ uploads: [uploadDoc('a')], rejectedRows: [], checkpoint: '9' });
        expect(await fixture.checkpoints.get('upload-status')).toBe('10');
        await store.commit({ uploads: [uploadDoc('a')], rejectedRows: [], checkpoint: '11' });
        expect(await fixture.checkpoints.get('upload-status')).toBe('11');
      });

      it('lists uploads newest first by first appearance, pages with cursors, and keeps the order on update', async () => {
        const store = fixture.uploads('');
        await store.commit({ uploads: [uploadDoc('a'), uploadDoc('b')], rejectedRows: [], checkpoint: '1' });
        await store.commit({ uploads: [uploadDoc('c')], rejectedRows: [], checkpoint: '2' });
        await store.commit({ uploads: [uploadDoc('a', { status: 'VALIDATED' })], rejectedRows: [], checkpoint: '3' });
        const first = await store.listUploads(2, null);
        expect(first.totalCount).toBe(3);
        expect(first.hasNextPage).toBe(true);
        expect(first.items.map((i) => i.node.uploadId)).toEqual(['c', 'b']);
        const rest = await store.listUploads(2, first.items[1]!.cursor);
        expect(rest.hasNextPage).toBe(false);
        expect(rest.items.map((i) => [i.node.uploadId, i.node.status])).toEqual([['a', 'VALIDATED']]);
      });

      it('pages rejected rows by line and stores a redelivered row once', async () => {
        const store = fixture.uploads('');
        const rows = Array.from({ length: 5 }, (_, i) => ({
          uploadId: 'u',
          line: (i + 1) * 2,
          raw: `row ${i}`,
          reasons: [{ code: 'KWH_NEGATIVE' as const, message: 'bad' }],
        }));
        await store.commit({ uploads: [uploadDoc('u')], rejectedRows: rows, checkpoint: '1' });
        await store.commit({ uploads: [], rejectedRows: rows.slice(1, 3), checkpoint: '2' });
        const page1 = await store.listRejectedRows('u', 3, null);
        expect(page1.totalCount).toBe(5);
        expect(page1.items.map((i) => i.node.line)).toEqual([2, 4, 6]);
        const page2 = await store.listRejectedRows('u', 3, page1.items[2]!.cursor);
        expect(page2.items.map((i) => i.node.line)).toEqual([8, 10]);
        expect(page2.hasNextPage).toBe(false);
        expect((await store.listRejectedRows('other', 3, null)).totalCount).toBe(0);
      });

      it('finds the first validated, non-duplicate upload of a content hash', async () => {
        const store = fixture.uploads('');
        await store.commit({
          uploads: [
            uploadDoc('received', { sha256: 'h' }),
            uploadDoc('original', { sha256: 'h', status: 'VALIDATED' }),
            uploadDoc('dup', { sha256: 'h', status: 'VALIDATED', duplicateOf: 'original' }),
          ],
          rejectedRows: [],
          checkpoint: '1',
        });
        expect((await store.findValidatedBySha256('h'))?.uploadId).toBe('original');
        expect(await store.findValidatedBySha256('other')).toBeNull();
      });

      it('builds a rebuild copy apart from the live model and swaps it in with its checkpoint', async () => {
        const live = fixture.uploads('');
        await live.commit({ uploads: [uploadDoc('old')], rejectedRows: [], checkpoint: '9' });
        const copy = fixture.uploads(REBUILD);
        await copy.reset();
        await copy.commit({
          uploads: [uploadDoc('new')],
          rejectedRows: [{ uploadId: 'new', line: 2, raw: 'r', reasons: [] }],
          checkpoint: '10',
        });
        expect(await live.getUpload('new')).toBeNull();
        expect(await live.getCheckpoint()).toBe('9');
        await fixture.promoteUploads(REBUILD);
        const after = fixture.uploads('');
        expect(await after.getUpload('old')).toBeNull();
        expect((await after.getUpload('new'))?.uploadId).toBe('new');
        expect((await after.listRejectedRows('new', 5, null)).totalCount).toBe(1);
        expect(await after.getCheckpoint()).toBe('10');
        expect(await fixture.checkpoints.get('upload-status')).toBe('10');
        // A new rebuild copy starts empty, and reset empties the live model too.
        expect(await fixture.uploads(REBUILD).getCheckpoint()).toBeNull();
        await after.reset();
        expect(await after.getCheckpoint()).toBeNull();
        expect((await after.listUploads(5, null)).totalCount).toBe(0);
      });
    });

    describe('billing', () => {
      const hour = 3_600_000;
      const priceDay = (date: string, base: number, hours: number, price: number): PriceDay => ({
        market: 'BG',
        deliveryDate: date,
        intervals: Array.from({ length: hours }, (_, h) => ({
          start: base + h * hour,
          end: base + (h + 1) * hour,
          priceMicro: price + h,
        })),
      });

      it("keeps an upload's staged batches as they are, pages them in batch order, and drops them per upload", async () => {
        const store = fixture.billing('');
        await run(store, [
          { op: 'stageBatch', uploadId: 'u1', ...stagedBatch(2, 2) },
          { op: 'stageBatch', uploadId: 'u1', ...stagedBatch(0, 0, 600_000) },
          { op: 'stageBatch', uploadId: 'u2', ...stagedBatch(0, 9) },
          { op: 'stageBatch', uploadId: 'u1', ...stagedBatch(1, 1) },
          // A redelivered event stages the same batch again.
          { op: 'stageBatch', uploadId: 'u1', ...stagedBatch(1, 1) },
          { op: 'checkpoint', position: '1' },
        ]);
        const [first, next, rest] = await run(store, [
          { op: 'stagedBatches', uploadId: 'u1', afterBatch: -1, limit: 2 },
          { op: 'stagedBatches', uploadId: 'u1', afterBatch: 1, limit: 2 },
          { op: 'stagedBatches', uploadId: 'u1', afterBatch: 2, limit: 2 },
        ]);
        expect(plainBatches(first)).toEqual([stagedBatch(0, 0, 600_000), stagedBatch(1, 1)]);
        expect(plainBatches(next)).toEqual([stagedBatch(2, 2)]);
        expect(rest).toEqual([]);
        const [afterDrop, other] = await run(store, [
          { op: 'dropStaged', uploadId: 'u1' },
          { op: 'stagedBatches', uploadId: 'u1', afterBatch: -1, limit: 10 },
          { op: 'stagedBatches', uploadId: 'u2', afterBatch: -1, limit: 10 },
        ]).then((answers) => answers.slice(1));
        expect(afterDrop).toEqual([]);
        expect(plainBatches(other)).toEqual([stagedBatch(0, 9)]);
      });

      it('remembers which uploads took effect', async () => {
        const store = fixture.billing('');
        const [before] = await run(store, [{ op: 'uploadApplied', uploadId: 'u1' }]);
        await run(store, [
          { op: 'markApplied', uploadId: 'u1', position: '5' },
          { op: 'markApplied', uploadId: 'u1', position: '5' },
        ]);
        const [after, other] = await run(store, [
          { op: 'uploadApplied', uploadId: 'u1' },
          { op: 'uploadApplied', uploadId: 'u2' },
        ]);
        expect([before, after, other]).toEqual([false, true, false]);
      });

      it('keeps billed meter-days with their slots, pages a date by meter, and answers the daily queries', async () => {
        const store = fixture.billing('');
        await run(store, [
          {
            op: 'putMeterDays',
            days: [
              meterDay('M1', '2026-10-01', 10),
              meterDay('M2', '2026-10-01', 30),
              meterDay('M1', '2026-10-02', 20),
            ],
          },
          { op: 'putMeterDays', days: [meterDay('M1', '2026-10-02', 25)] },
          { op: 'putMeterDays', days: [meterDay('M3', '2026-10-02', 1), meterDay('M3', '2026-11-01', 1)] },
          { op: 'checkpoint', position: '4' },
        ]);
        const [byKey, ofDate, ofDateAfter, month] = await run(store, [
          { op: 'meterDays', keys: [key('M1', '2026-10-02'), key('M2', '2026-10-02'), key('M2', '2026-10-01')] },
          { op: 'meterDaysOfDate', date: '2026-10-01', afterMeter: null, limit: 1 },
          { op: 'meterDaysOfDate', date: '2026-10-01', afterMeter: 'M1', limit: 5 },
          { op: 'dailyOfMonth', meters: ['M3', 'M1'], month: '2026-10' },
        ]);
        expect(sortByKey(slotsPart(byKey))).toEqual(
          slotsPart([meterDay('M1', '2026-10-02', 25), meterDay('M2', '2026-10-01', 30)]),
        );
        expect(slotsPart(ofDate)).toEqual(slotsPart([meterDay('M1', '2026-10-01', 10)]));
        expect(slotsPart(ofDateAfter)).toEqual(slotsPart([meterDay('M2', '2026-10-01', 30)]));
        expect(month).toEqual([
          dailyDoc('M1', '2026-10-01', 10),
          dailyDoc('M1', '2026-10-02', 25),
          dailyDoc('M3', '2026-10-02', 1),
        ]);
        expect(await store.dailyUsage('M1', '2026-10-02', '2026-10-02')).toEqual([dailyDoc('M1', '2026-10-02', 25)]);
        expect(await store.dailyTotals('2026-10-01')).toEqual({ date: '2026-10-01', meters: 2, totalKwhMicro: 40 });
        expect(await store.dailyTotals('2026-12-01')).toBeNull();
        expect(await store.meters()).toEqual(['M1', 'M2', 'M3']);
        expect(await store.getCheckpoint()).toBe('4');
      });

      it("keeps a meter's series apart: registers by prefix, billed or pending, and the queries over them", async () => {
        const store = fixture.billing('');
        await run(store, [
          {
            op: 'putMeterDays',
            days: [
              meterDay('M1', '2026-10-01', 30),
              meterDay('M1#IMPORT#E1', '2026-10-01', 10),
              meterDay('M1#IMPORT#E2', '2026-10-01', 20),
              meterDay('M1#EXPORT#B1', '2026-10-01', 5),
              meterDay('M1#EXPORT#B1', '2026-10-02', 6),
              meterDay('M10', '2026-10-01', 1),
            ],
          },
          { op: 'putPendingDays', uploadId: 'u1', days: [meterDay('M1#IMPORT#E2', '2026-10-01', 22)] },
          { op: 'checkpoint', position: '5' },
        ]);
        const [billed, pending, exported] = await run(store, [
          { op: 'registerDays', prefixes: [{ prefix: 'M1#IMPORT#', date: '2026-10-01' }] },
          { op: 'pendingRegisterDays', uploadId: 'u1', prefixes: [{ prefix: 'M1#IMPORT#', date: '2026-10-01' }] },
          { op: 'registersOfMonth', prefixes: ['M1#EXPORT#'], month: '2026-10' },
        ]);
        expect(sortByKey(slotsPart(billed))).toEqual(
          slotsPart([meterDay('M1#IMPORT#E1', '2026-10-01', 10), meterDay('M1#IMPORT#E2', '2026-10-01', 20)]),
        );
        expect(slotsPart(pending)).toEqual(slotsPart([meterDay('M1#IMPORT#E2', '2026-10-01', 22)]));
        expect(exported).toEqual([
          dailyDoc('M1#EXPORT#B1', '2026-10-01', 5),
          dailyDoc('M1#EXPORT#B1', '2026-10-02', 6),
        ]);
        const days = await store.seriesDays('M1#EXPORT#', '2026-10-01', '2026-10-31');
        expect(days.map((d) => [d.meter, d.date, d.totalKwhMicro, d.values[0]])).toEqual([
          ['M1#EXPORT#B1', '2026-10-01', 5, 5],
          ['M1#EXPORT#B1', '2026-10-02', 6, 6],
        ]);
        expect(await store.seriesOfMeter('M1')).toEqual([
          { key: 'M1', intervalMinutes: [15] },
          { key: 'M1#EXPORT#B1', intervalMinutes: [15] },
          { key: 'M1#IMPORT#E1', intervalMinutes: [15] },
          { key: 'M1#IMPORT#E2', intervalMinutes: [15] },
        ]);
        // Meter lists and daily totals are made of meters' billed import; exports add the other kinds' registers.
        expect(await store.meters()).toEqual(['M1', 'M10']);
        expect(await store.dailyTotals('2026-10-01')).toEqual({ date: '2026-10-01', meters: 2, totalKwhMicro: 31 });
        const page = await store.dailyUsagePage(
          { fromDate: '2026-10-01', toDate: '2026-10-31', meter: 'M1' },
          null,
          10,
        );
        expect(page.map((d) => [d.meter, d.date])).toEqual([
          ['M1', '2026-10-01'],
          ['M1#EXPORT#B1', '2026-10-01'],
          ['M1#EXPORT#B1', '2026-10-02'],
        ]);
      });

      it('keeps the pending meter-days of an upload apart and applies them in one commit once prepared', async () => {
        const store = fixture.billing('');
        await run(store, [{ op: 'putMeterDays', days: [meterDay('M1', '2026-10-01', 10)] }]);
        await run(store, [
          {
            op: 'putPendingDays',
            uploadId: 'u1',
            days: [meterDay('M1', '2026-10-01', 77), meterDay('M2', '2026-11-02', 5)],
          },
          { op: 'putPendingDays', uploadId: 'u2', days: [meterDay('M9', '2026-10-01', 1)] },
          { op: 'checkpoint', position: '3' },
        ]);
        // Pending days are not billed ones: readers do not see them.
        expect(await store.dailyUsage('M1', '2026-10-01', '2026-10-01')).toEqual([dailyDoc('M1', '2026-10-01', 10)]);
        const [pending, notBegun, notPrepared] = await run(store, [
          { op: 'pendingDays', uploadId: 'u1', keys: [key('M1', '2026-10-01'), key('M9', '2026-10-01')] },
          { op: 'preparation', uploadId: 'u1' },
          { op: 'applyPending', uploadId: 'u1' },
        ]);
        expect(slotsPart(pending)).toEqual(slotsPart([meterDay('M1', '2026-10-01', 77)]));
        expect(notBegun).toBeNull();
        expect(notPrepared).toEqual({ prepared: false, touched: [] });
        // Prepared part-way (ahead of its validation), or whole but stale: not applied either.
        const [, partWay, , , , staleOne, otherOne, stale] = await run(store, [
          { op: 'putPreparation', uploadId: 'u1', preparation: { throughBatch: 3, complete: false, stale: false } },
          { op: 'applyPending', uploadId: 'u1' },
          { op: 'putPreparation', uploadId: 'u2', preparation: { throughBatch: 0, complete: false, stale: false } },
          { op: 'putPreparation', uploadId: 'u1', preparation: { throughBatch: 5, complete: true, stale: false } },
          { op: 'stalePreparations', except: 'u2' },
          { op: 'preparation', uploadId: 'u1' },
          { op: 'preparation', uploadId: 'u2' },
          { op: 'applyPending', uploadId: 'u1' },
        ]);
        expect(partWay).toEqual({ prepared: false, touched: [] });
        expect(stale).toEqual({ prepared: false, touched: [] });
        expect(staleOne).toEqual({ throughBatch: 5, complete: true, stale: true });
        expect(otherOne).toEqual({ throughBatch: 0, complete: false, stale: false });
        const [, allStale] = await run(store, [
          { op: 'stalePreparations', except: null },
          { op: 'preparation', uploadId: 'u2' },
        ]);
        expect(allStale).toEqual({ throughBatch: 0, complete: false, stale: true });
        expect(await store.dailyUsage('M1', '2026-10-01', '2026-10-01')).toEqual([dailyDoc('M1', '2026-10-01', 10)]);

        const [, applied] = await run(store, [
          { op: 'putPreparation', uploadId: 'u1', preparation: { throughBatch: 5, complete: true, stale: false } },
          { op: 'applyPending', uploadId: 'u1' },
          { op: 'dropPending', uploadId: 'u1' },
          { op: 'checkpoint', position: '4' },
        ]);
        const touched = (applied as { prepared: boolean; touched: Array<{ meter: string; month: string }> }).touched;
        expect((applied as { prepared: boolean }).prepared).toBe(true);
        expect([...touched].sort((a, b) => a.meter.localeCompare(b.meter))).toEqual([
          { meter: 'M1', month: '2026-10' },
          { meter: 'M2', month: '2026-11' },
        ]);
        expect(await store.dailyUsage('M1', '2026-10-01', '2026-10-01')).toEqual([dailyDoc('M1', '2026-10-01', 77)]);
        const [billed, left, other] = await run(store, [
          { op: 'meterDays', keys: [key('M2', '2026-11-02')] },
          { op: 'pendingDays', uploadId: 'u1', keys: [key('M1', '2026-10-01')] },
          { op: 'pendingDays', uploadId: 'u2', keys: [key('M9', '2026-10-01')] },
        ]);
        expect(slotsPart(billed)).toEqual(slotsPart([meterDay('M2', '2026-11-02', 5)]));
        expect(left).toEqual([]);
        expect(slotsPart(other)).toEqual(slotsPart([meterDay('M9', '2026-10-01', 1)]));
        expect(await store.dailyUsage('M9', '2026-10-01', '2026-10-01')).toEqual([]);
      });

      it('re-prices a meter-day: its daily figures change, its slots stay, an absent day is not made', async () => {
        const store = fixture.billing('');
        await run(store, [{ op: 'putMeterDays', days: [meterDay('M1', '2026-10-01', 10)] }]);
        const repriced = {
          ...dailyDoc('M1', '2026-10-01', 10),
          pricedIntervals: 4,
          costFemto: '123456789012345678901',
        };
        await run(store, [
          { op: 'putDayTotals', days: [repriced, dailyDoc('M9', '2026-10-01', 5)] },
          { op: 'checkpoint', position: '2' },
        ]);
        const [days] = await run(store, [{ op: 'meterDaysOfDate', date: '2026-10-01', afterMeter: null, limit: 10 }]);
        expect(slotsPart(days)).toEqual(slotsPart([meterDay('M1', '2026-10-01', 10)]));
        expect(await store.dailyUsage('M1', '2026-10-01', '2026-10-01')).toEqual([repriced]);
        expect(await store.dailyUsage('M9', '2026-10-01', '2026-10-01')).toEqual([]);
      });

      it('replaces every price interval of a delivery day with its latest publication', async () => {
        const store = fixture.billing('');
        await run(store, [
          { op: 'putPriceDay', day: priceDay('2026-10-01', 0, 24, 100) },
          { op: 'putPriceDay', day: priceDay('2026-10-02', 24 * hour, 24, 200) },
          { op: 'putPriceDay', day: priceDay('2026-10-01', 0, 20, 500) },
          { op: 'checkpoint', position: '2' },
        ]);
        const [first, edge, other] = await run(store, [
          { op: 'prices', market: 'BG', from: 0, to: 24 * hour },
          // Overlap, not containment: an interval ending inside the range counts.
          { op: 'prices', market: 'BG', from: 24 * hour - 1, to: 24 * hour + 1 },
          { op: 'prices', market: 'DE', from: 0, to: 48 * hour },
        ]);
        expect(first).toHaveLength(20);
        expect((first as PriceInterval[])[0]).toEqual({ start: 0, end: hour, priceMicro: 500 });
        expect((edge as PriceInterval[]).map((p) => p.priceMicro)).toEqual([200]);
        expect(other).toEqual([]);
        expect(await store.prices('BG', 19 * hour + 1, 25 * hour)).toEqual([
          { start: 19 * hour, end: 20 * hour, priceMicro: 519 },
          { start: 24 * hour, end: 25 * hour, priceMicro: 200 },
        ]);
      });

      it('stores invoices and pages them by meter', async () => {
        const store = fixture.billing('');
        await run(store, [
          {
            op: 'putInvoices',
            invoices: [
              invoiceDoc('M2', '2026-10', 30),
              invoiceDoc('M1', '2026-10', 30),
              invoiceDoc('M1', '2026-09', 5),
              invoiceDoc('M3', '2026-10', 1),
            ],
          },
          { op: 'checkpoint', position: '3' },
        ]);
        const page1 = await store.invoices('2026-10', null, 2, null);
        expect(page1.totalCount).toBe(3);
        expect(page1.hasNextPage).toBe(true);
        expect(page1.items.map((i) => i.node.meter)).toEqual(['M1', 'M2']);
        const page2 = await store.invoices('2026-10', null, 2, page1.items[1]!.cursor);
        expect(page2.items.map((i) => i.node.meter)).toEqual(['M3']);
        expect(page2.hasNextPage).toBe(false);
        const one = await store.invoices('2026-10', 'M2', 10, null);
        expect(one.items.map((i) => i.node)).toEqual([invoiceDoc('M2', '2026-10', 30)]);
        expect((await store.invoices('2026-10', 'M9', 10, null)).totalCount).toBe(0);
        expect(await store.invoice('2026-09:M1')).toEqual(invoiceDoc('M1', '2026-09', 5));
        expect(await store.invoice('2026-09:M9')).toBeNull();
        expect(await store.invoice('garbage')).toBeNull();
        expect((await store.latestInvoices('M1', 5)).map((i) => i.month)).toEqual(['2026-10', '2026-09']);
        expect((await store.latestInvoices('M1', 1)).map((i) => i.month)).toEqual(['2026-10']);
      });

      it('takes a program whole or not at all: a failing one leaves no write and no checkpoint behind', async () => {
        const store = fixture.billing('');
        await run(store, [
          { op: 'putMeterDays', days: [meterDay('M1', '2026-10-01', 1)] },
          { op: 'checkpoint', position: '1' },
        ]);
        await expect(
          store.run(function* () {
            yield { op: 'putMeterDays', days: [meterDay('M1', '2026-10-01', 99), meterDay('M2', '2026-10-01', 5)] };
            yield { op: 'putInvoices', invoices: [invoiceDoc('M2', '2026-10', 5)] };
            yield { op: 'checkpoint', position: '2' };
            throw new Error('the projection broke mid-batch');
          }),
        ).rejects.toThrow('mid-batch');
        expect(await store.getCheckpoint()).toBe('1');
        expect(await store.dailyUsage('M1', '2026-10-01', '2026-10-01')).toEqual([dailyDoc('M1', '2026-10-01', 1)]);
        expect(await store.meters()).toEqual(['M1']);
        expect(await store.invoice('2026-10:M2')).toBeNull();
      });

      it('runs the same program twice to the same state', async () => {
        const store = fixture.billing('');
        const program: BillingRequest[] = [
          { op: 'stageBatch', uploadId: 'u1', ...stagedBatch(0, 4) },
          { op: 'markApplied', uploadId: 'u0', position: '1' },
          { op: 'putPriceDay', day: priceDay('1970-01-01', 0, 1, 9) },
          { op: 'putMeterDays', days: [meterDay('M1', '1970-01-01', 4)] },
          { op: 'putInvoices', invoices: [invoiceDoc('M1', '1970-01', 4)] },
          { op: 'checkpoint', position: '1' },
        ];
        await run(store, program);
        await run(store, program);
        const [staged, days, prices] = await run(store, [
          { op: 'stagedBatches', uploadId: 'u1', afterBatch: -1, limit: 10 },
          { op: 'meterDaysOfDate', date: '1970-01-01', afterMeter: null, limit: 10 },
          { op: 'prices', market: 'BG', from: 0, to: hour },
        ]);
        expect(staged).toHaveLength(1);
        expect(slotsPart(days)).toEqual(slotsPart([meterDay('M1', '1970-01-01', 4)]));
        expect(prices).toHaveLength(1);
        expect((await store.invoices('1970-01', null, 10, null)).totalCount).toBe(1);
      });

      it('builds a rebuild copy apart from the live model and swaps it in with its checkpoint', async () => {
        const live = fixture.billing('');
        await run(live, [
          { op: 'putMeterDays', days: [meterDay('OLD', '2026-10-01', 1)] },
          { op: 'checkpoint', position: '7' },
        ]);
        const copy = fixture.billing(REBUILD);
        await copy.reset();
        await run(copy, [
          { op: 'putMeterDays', days: [meterDay('NEW', '2026-10-01', 5)] },
          { op: 'putInvoices', invoices: [invoiceDoc('NEW', '2026-10', 5)] },
          { op: 'checkpoint', position: '8' },
        ]);
        expect(await live.meters()).toEqual(['OLD']);
        await fixture.promoteBilling(REBUILD);
        const after = fixture.billing('');
        expect(await after.meters()).toEqual(['NEW']);
        const [days] = await run(after, [{ op: 'meterDays', keys: [key('NEW', '2026-10-01')] }]);
        expect(slotsPart(days)).toEqual(slotsPart([meterDay('NEW', '2026-10-01', 5)]));
        expect((await after.invoice('2026-10:NEW'))?.totalKwhMicro).toBe(5);
        expect(await after.getCheckpoint()).toBe('8');
        expect(await fixture.checkpoints.get('billing')).toBe('8');
        await after.reset();
        expect(await after.getCheckpoint()).toBeNull();
        expect(await after.meters()).toEqual([]);
      });
    });

    describe('accounts', () => {
      const accountDoc = (id: string, meters: AccountDoc['meters']): AccountDoc => ({
        id,
        name: `Customer ${id}`,
        currency: 'EUR',
        vatRate: '0.2',
        openedAt: '2026-09-01T00:00:00.000Z',
        billing: null,
        tariffs: [
          {
            from: '0000-01-01',
            tariff: { kind: 'FIXED', unitPriceEurMwh: '180', standingChargePerDay: '0.3' },
          },
        ],
        meters,
        revision: 0,
      });
      const issuedDoc = (
        number: string,
        accountId: string,
        month: string,
        creditedBy: string | null = null,
      ): IssuedDocument => ({
        number,
        accountId,
        accountName: `Customer ${accountId}`,
        month,
        currency: 'EUR',
        vatRate: '0.2',
        lines: [
          {
            meter: 'M1',
            kind: 'ENERGY',
            description: 'Energy',
            quantity: '10',
            unit: 'kWh',
            unitPrice: '0.18',
            amount: '1.80',
          },
        ],
        subtotal: '1.80',
        vat: '0.36',
        total: '2.16',
        meters: [{ meter: 'M1', kwh: '10', days: 31 }],
        draftStatus: 'COMPLETE',
        issuedAt: '2026-11-02T08:00:00.000Z',
        kind: 'INVOICE',
        replaces: null,
        credits: null,
        creditedBy,
        position: '1',
      });

      it('keeps accounts with their meters and issued documents, finds them by range, account and month', async () => {
        const store = fixture.accounts('');
        const a = accountDoc('A', [{ meter: 'M1', accountId: 'A', from: '2026-10-01', to: '2026-10-14' }]);
        const billing = {
          address: { street: 'Ring 7', city: 'Köln', postalCode: '50667', countryCode: 'DE' },
          vatId: 'DE987654321',
          buyerReference: null,
          email: null,
        };
        const b = {
          ...accountDoc('B', [{ meter: 'M1', accountId: 'B', from: '2026-10-15', to: null }]),
          billing,
        };
        // A version 2 document names its parties; they come back as they went in.
        const withParties: IssuedDocument = {
          ...issuedDoc('2026-000002', 'A', '2026-10'),
          parties: { seller: null, buyer: { name: 'Customer A', billing } },
        };
        const changes = {
          accounts: [a, b],
          issued: [withParties, issuedDoc('2026-000001', 'A', '2026-09', '2026-000003')],
          checkpoint: '4',
        };
        await store.commit(changes);
        await store.commit(changes); // redelivered: the same
        expect(await store.getCheckpoint()).toBe('4');
        expect(await store.account('B')).toEqual(b);
        expect((await store.accounts(1, null)).items.map((i) => i.node.id)).toEqual(['A']);
        expect((await store.accounts(5, null)).totalCount).toBe(2);
        expect((await store.accountsBilledBetween('2026-10-01', '2026-10-31', 10)).map((x) => x.id)).toEqual([
          'A',
          'B',
        ]);
        expect((await store.accountsBilledBetween('2026-09-01', '2026-09-30', 10)).map((x) => x.id)).toEqual([]);
        expect((await store.accountsBilledBetween('2026-11-01', '2026-11-30', 10)).map((x) => x.id)).toEqual(['B']);
        // An account whose meter moved away loses it from its rows too.
        await store.commit({ accounts: [{ ...b, meters: [] }], issued: [], checkpoint: '5' });
        expect((await store.accountsBilledBetween('2026-11-01', '2026-11-30', 10)).map((x) => x.id)).toEqual([]);
        expect((await store.issuedOfAccount('A', '2026-01', '2026-12')).map((d) => d.number)).toEqual([
          '2026-000002',
          '2026-000001',
        ]);
        expect((await store.issuedOfAccount('A', '2026-10', '2026-10')).map((d) => d.number)).toEqual(['2026-000002']);
        expect((await store.issuedOfMonth('2026-09'))[0]).toEqual(
          issuedDoc('2026-000001', 'A', '2026-09', '2026-000003'),
        );
        expect(await store.issued('2026-000002')).toEqual(withParties);
        expect(await store.issued('2026-000009')).toBeNull();
        expect([...(await store.loadIssued(['2026-000002', 'x'])).keys()]).toEqual(['2026-000002']);
        await store.reset();
        expect(await store.account('A')).toBeNull();
        expect(await store.getCheckpoint()).toBeNull();
      });
    });

    describe('projection state', () => {
      it('stores projection versions', async () => {
        expect(await fixture.versions.get('billing')).toBeNull();
        await fixture.versions.set('billing', 3);
        await fixture.versions.set('billing', 4);
        expect(await fixture.versions.get('billing')).toBe(4);
      });

      it('grants the projector lease to one holder until it expires or is released, a larger token each tenure', async () => {
        // Real time: a store may keep the lease on its own clock (MongoDB uses the server's), not the caller's.
        const { lease } = fixture;
        const ttl = 300;
        const first = await lease.tryAcquire('p1', ttl, Date.now());
        expect(first).toEqual(expect.any(Number));
        expect(await lease.tryAcquire('p2', ttl, Date.now())).toBeNull();
        // The holder renews under the same token; the other still waits.
        expect(await lease.tryAcquire('p1', ttl, Date.now())).toBe(first);
        const renewedAt = Date.now();
        expect(await lease.tryAcquire('p2', ttl, Date.now())).toBeNull();
        // The holder died: once its lease ran out another takes over, and the old holder cannot renew.
        let taken: number | null = null;
        let takenAt = 0;
        while (taken === null && Date.now() - renewedAt < 5_000) {
          taken = await lease.tryAcquire('p2', ttl, Date.now());
          if (taken === null) await new Promise((resolve) => setTimeout(resolve, 10));
          else takenAt = Date.now();
        }
        expect(takenAt - renewedAt).toBeGreaterThanOrEqual(ttl - 50);
        expect(taken).toBeGreaterThan(first!);
        expect(await lease.tryAcquire('p1', ttl, Date.now())).toBeNull();
        await lease.release('p1'); // not the holder: changes nothing
        expect(await lease.tryAcquire('p1', ttl, Date.now())).toBeNull();
        await lease.release('p2');
        expect(await lease.tryAcquire('p1', ttl, Date.now())).toBeGreaterThan(taken!);
      });

      it("refuses the writes of a holder whose tenure ended, and keeps the new holder's", async () => {
        const { lease } = fixture;
        const priceDay = (date: string, priceMicro: number): PriceDay => ({
          market: 'BG',
          deliveryDate: date,
          intervals: [{ start: 0, end: 3_600_000, priceMicro }],
        });
        const old = await lease.tryAcquire('old', 60_000, Date.now());
        const oldFence = new LeaseFence({ holder: 'old', token: old! });
        const oldBilling = fixture.billing('', oldFence);
        const oldUploads = fixture.uploads('', oldFence);
        await oldBilling.run(function* () {
          yield { op: 'putPriceDay', day: priceDay('2026-10-01', 100) };
          yield { op: 'checkpoint', position: '5' };
        });
        // The old holder pauses; its lease is given up (or runs out) and another projector takes it.
        await lease.release('old');
        const next = await lease.tryAcquire('next', 60_000, Date.now());
        const nextBilling = fixture.billing('', new LeaseFence({ holder: 'next', token: next! }));
        await nextBilling.run(function* () {
          yield { op: 'putPriceDay', day: priceDay('2026-10-01', 200) };
          yield { op: 'checkpoint', position: '6' };
        });
        // The old holder wakes and writes what it computed before the pause: refused whole.
        await expect(
          oldBilling.run(function* () {
            yield { op: 'putPriceDay', day: priceDay('2026-10-01', 100) };
            yield { op: 'checkpoint', position: '7' };
          }),
        ).rejects.toThrow(FencedOffError);
        await expect(
          oldUploads.commit({ uploads: [uploadDoc('u-old')], rejectedRows: [], checkpoint: '7' }),
        ).rejects.toThrow(FencedOffError);
        expect(await nextBilling.getCheckpoint()).toBe('6');
        expect((await nextBilling.prices('BG', 0, 3_600_000)).map((p) => p.priceMicro)).toEqual([200]);
        expect(await fixture.uploads('').getUpload('u-old')).toBeNull();
        // A process holding no lease at all writes nothing either.
        await expect(
          fixture
            .uploads('', new LeaseFence(null))
            .commit({ uploads: [uploadDoc('u-none')], rejectedRows: [], checkpoint: '8' }),
        ).rejects.toThrow(FencedOffError);
        // Even if the old holder took the lease again later, its paused writes carry the old token.
        await lease.release('next');
        expect(await lease.tryAcquire('old', 60_000, Date.now())).toBeGreaterThan(next!);
        await expect(
          oldBilling.run(function* () {
            yield { op: 'checkpoint', position: '9' };
          }),
        ).rejects.toThrow(FencedOffError);
      });
    });
  });
}
