/**
 * Every projection shell, on real SQLite: the same events delivered twice (a redelivery after a crash
 * between the writes and the next batch) leave the read model exactly as after the first delivery.
 */
import type { BillingProjectionStore } from '../../src/ports/billing-read-model';
import { randomUUID } from 'node:crypto';
import type { MarketPricesPublished } from '../../src/domain/billing/prices-events';
import type { ReadingsAccepted, UploadEvent } from '../../src/domain/readings/events';
import { encodeReadingsBatch, ReadingsBatchBuilder } from '../../src/domain/readings/readings-batch';

/** A readings event as stored: version 2 (binary) or version 1 (JSON tuples), both read the same. */
type StoredReadings = {
  type: 'ReadingsAccepted';
  data: Uint8Array | { uploadId: string; batch: number; readings: Array<[string, number, number]> };
};
import { ZonedClock } from '../../src/domain/time/zoned-time';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { SqliteBillingReadModel } from '../../src/infrastructure/sqlite/sqlite-billing-read-model';
import { SqliteUploadReadModel } from '../../src/infrastructure/sqlite/sqlite-upload-read-model';
import { BillingProjection } from '../../src/projections/billing/projection';
import { UploadStatusProjection } from '../../src/projections/upload-status/projection';
import type { RecordedEvent } from '../../src/ports/event-store';

let position = 0;
const recorded = (
  streamName: string,
  revision: number,
  event: Exclude<UploadEvent, ReadingsAccepted> | MarketPricesPublished | StoredReadings,
): RecordedEvent => {
  position += 1;
  return {
    id: randomUUID(),
    type: event.type,
    data: event.data,
    metadata: {},
    streamName,
    revision,
    position: String(position),
    created: new Date(0),
  };
};

const t0 = Date.parse('2026-10-24T21:00:00Z'); // local midnight of 2026-10-25 in Sofia (a 25-hour day)
const uploadId = 'u-1';
const stream = `upload-${uploadId}`;
const events: RecordedEvent[] = [
  recorded(stream, 0, {
    type: 'FileReceived',
    data: {
      uploadId,
      fileName: 'a.csv',
      byteSize: 1,
      sha256: 'x',
      resolutionMinutes: 15,
      timeZone: 'Europe/Sofia',
      uploadedBy: null,
      receivedAt: 'now',
    },
  }),
  recorded(stream, 1, {
    type: 'ReadingsAccepted',
    data: (() => {
      const builder = new ReadingsBatchBuilder(100);
      for (let i = 0; i < 100; i++) builder.add('MP1', t0 + i * 900_000, 125_000 + i * 1000);
      return encodeReadingsBatch({ uploadId, batch: 0, ...builder.take() });
    })(),
  }),
  recorded(stream, 2, {
    type: 'RowsRejected',
    data: {
      uploadId,
      batch: 1,
      rows: [{ line: 7, raw: 'MP1,x,1', reasons: [{ code: 'TIMESTAMP_INVALID', message: 'bad' }] }],
    },
  }),
  recorded('prices-BG-2026-10-25', 0, {
    type: 'MarketPricesPublished',
    data: {
      market: 'BG',
      deliveryDate: '2026-10-25',
      resolutionMinutes: 60,
      currency: 'EUR',
      unit: 'EUR/MWh',
      points: Array.from({ length: 25 }, (_, h) => ({
        start: new Date(t0 + h * 3_600_000).toISOString(),
        price: h === 3 ? -12.5 : 80 + h,
      })),
      complete: true,
      source: 'test',
      publishedAt: 'now',
    },
  }),
  recorded(`upload-u-2`, 0, {
    type: 'FileReceived',
    data: {
      uploadId: 'u-2',
      fileName: 'b.csv',
      byteSize: 1,
      sha256: 'y',
      resolutionMinutes: 15,
      timeZone: 'Europe/Sofia',
      uploadedBy: null,
      receivedAt: 'now',
    },
  }),
  recorded(`upload-u-2`, 1, {
    type: 'ReadingsAccepted',
    data: { uploadId: 'u-2', batch: 0, readings: [['MP1', t0, 9.5]] }, // version 1; replaces the first reading
  }),
  recorded(stream, 3, {
    type: 'FileValidated',
    data: {
      uploadId,
      totalRows: 101,
      acceptedRows: 100,
      rejectedRows: 1,
      meters: 1,
      firstIntervalStart: null,
      lastIntervalStart: null,
      duplicateOf: null,
      validatedAt: 'now',
    },
  }),
  // Validated after u-1: its reading wins.
  recorded(`upload-u-2`, 2, {
    type: 'FileValidated',
    data: {
      uploadId: 'u-2',
      totalRows: 1,
      acceptedRows: 1,
      rejectedRows: 0,
      meters: 1,
      firstIntervalStart: null,
      lastIntervalStart: null,
      duplicateOf: null,
      validatedAt: 'now',
    },
  }),
];

describe.each([
  ['in one batch', [events]],
  ['one event per batch', events.map((e) => [e])],
])('projections applied twice, %s', (_name, batches) => {
  it('billing: the second delivery changes nothing', async () => {
    const db = openSqliteDatabase(':memory:');
    const store = new SqliteBillingReadModel(db);
    const projection = new BillingProjection(store, {
      clock: new ZonedClock('Europe/Sofia'),
      resolutionMinutes: 15,
      market: 'BG',
    });
    for (const batch of batches) await projection.handle(batch);
    const once = store.dump();
    for (const batch of batches) await projection.handle(batch);
    expect(store.dump()).toEqual(once);
    expect(once.staged).toEqual([]);
    const [day] = await store.dailyUsage('MP1', '2026-10-25', '2026-10-25');
    expect(day).toMatchObject({ intervals: 100, expectedIntervals: 100, pricedIntervals: 100 });
    expect(day!.totalKwhMicro).toBe(
      9_500_000 + Array.from({ length: 99 }, (_, i) => 125_000 + (i + 1) * 1000).reduce((a, b) => a + b, 0),
    );
    db.close();
  });

  it('upload-status: the second delivery changes nothing', async () => {
    const db = openSqliteDatabase(':memory:');
    const store = new SqliteUploadReadModel(db);
    const projection = new UploadStatusProjection(store);
    for (const batch of batches) await projection.handle(batch);
    const once = store.dump();
    for (const batch of batches) await projection.handle(batch);
    expect(store.dump()).toEqual(once);
    expect(await store.getUpload(uploadId)).toMatchObject({ status: 'VALIDATED', acceptedRows: 100, rejectedRows: 1 });
    expect((await store.listRejectedRows(uploadId, 10, null)).totalCount).toBe(1);
    db.close();
  });
});

describe('billing: an upload gathered a few meter-days at a time', () => {
  // Three batches of readings of 5 meters over 3 days, the rows of each batch in no particular order,
  // a meter-day spread over several batches; then prices and the upload's validation.
  const id = 'u-big';
  const big = `upload-${id}`;
  const readings: Array<[string, number, number]> = [];
  for (let meter = 1; meter <= 5; meter++) {
    for (let slot = 0; slot < 3 * 96; slot += 1 + (meter % 3)) {
      readings.push([`M${meter}`, t0 + slot * 900_000, meter * 1000 + slot]);
    }
  }
  readings.sort((a, b) => ((a[2] * 7919) % 101) - ((b[2] * 7919) % 101));
  const third = Math.ceil(readings.length / 3);
  const bigEvents: RecordedEvent[] = [0, 1, 2].map((batch) => {
    const builder = new ReadingsBatchBuilder(third);
    for (const [meter, start, kwh] of readings.slice(batch * third, (batch + 1) * third))
      builder.add(meter, start, kwh);
    return recorded(big, batch, {
      type: 'ReadingsAccepted',
      data: encodeReadingsBatch({ uploadId: id, batch, ...builder.take() }),
    });
  });
  bigEvents.push(
    events.find((e) => e.type === 'MarketPricesPublished')!,
    recorded(big, 3, {
      type: 'FileValidated',
      data: {
        uploadId: id,
        totalRows: readings.length,
        acceptedRows: readings.length,
        rejectedRows: 0,
        meters: 5,
        firstIntervalStart: null,
        lastIntervalStart: null,
        duplicateOf: null,
        validatedAt: 'now',
      },
    }),
  );

  it('gives the same model as gathering it all at once', async () => {
    const rules = { clock: new ZonedClock('Europe/Sofia'), resolutionMinutes: 15, market: 'BG' };
    const project = async (limits?: { batchesPerRead: number; daysInMemory: number }) => {
      const db = openSqliteDatabase(':memory:');
      const store = new SqliteBillingReadModel(db);
      await new BillingProjection(store, rules, limits).handle(bigEvents);
      const dump = store.dump();
      db.close();
      return dump;
    };
    const whole = await project();
    expect(whole.daily).toHaveLength(5 * 3);
    expect(whole.invoices).toHaveLength(5);
    expect(await project({ batchesPerRead: 1, daysInMemory: 2 })).toEqual(whole);
    expect(whole.pending).toEqual([]);
    expect(whole.prepared).toEqual([]);
  });

  it('gives the same model when the upload is applied inside one program, without its preparation', async () => {
    const rules = { clock: new ZonedClock('Europe/Sofia'), resolutionMinutes: 15, market: 'BG' };
    const prepared = openSqliteDatabase(':memory:');
    const preparedStore = new SqliteBillingReadModel(prepared);
    await new BillingProjection(preparedStore, rules).handle(bigEvents);
    const direct = openSqliteDatabase(':memory:');
    const directStore = new SqliteBillingReadModel(direct);
    const projection = new BillingProjection(directStore, rules);
    await directStore.run(() => projection.program(bigEvents));
    expect(directStore.dump()).toEqual(preparedStore.dump());
    prepared.close();
    direct.close();
  });

  it('resumes a preparation cut short where its last commit left it, and applies once', async () => {
    const rules = { clock: new ZonedClock('Europe/Sofia'), resolutionMinutes: 15, market: 'BG' };
    const reference = openSqliteDatabase(':memory:');
    const referenceStore = new SqliteBillingReadModel(reference);
    await new BillingProjection(referenceStore, rules).handle(bigEvents);

    // The first attempt stops after its first commit of pending days (the process died there).
    const db = openSqliteDatabase(':memory:');
    const store = new SqliteBillingReadModel(db);
    let runs = 0;
    const dying: BillingProjectionStore = {
      getCheckpoint: () => store.getCheckpoint(),
      reset: () => store.reset(),
      run: async (program) => {
        runs += 1;
        if (runs === 3) throw new Error('killed');
        return store.run(program);
      },
    };
    await expect(
      new BillingProjection(dying, rules, { batchesPerRead: 1, daysInMemory: 4 }).handle(bigEvents),
    ).rejects.toThrow('killed');
    expect(store.dump().pending?.length).toBeGreaterThan(0);
    expect(store.dump().daily).toEqual([]); // nothing of the upload is billed yet
    // Redelivered from the checkpoint, as the runner does after a restart.
    const checkpoint = await store.getCheckpoint();
    const rest = bigEvents.filter((e) => checkpoint === null || Number(e.position) > Number(checkpoint));
    await new BillingProjection(store, rules).handle(rest);
    expect(store.dump()).toEqual(referenceStore.dump());
    reference.close();
    db.close();
  });
});

describe('billing: uploads prepared ahead, as their readings come', () => {
  const rules = { clock: new ZonedClock('Europe/Sofia'), resolutionMinutes: 15, market: 'BG' };
  const prices = events.find((e) => e.type === 'MarketPricesPublished')!;

  /** An upload's readings events (one batch each) and its validation, as the log holds them. */
  function upload(id: string, batches: Array<Array<[string, number, number]>>, intervalMinutes?: number) {
    const name = `upload-${id}`;
    const readingsEvents = batches.map((readings, batch) => {
      const builder = new ReadingsBatchBuilder(readings.length);
      for (const [meter, start, kwh] of readings) builder.add(meter, start, kwh);
      return recorded(name, batch, {
        type: 'ReadingsAccepted',
        data: encodeReadingsBatch({ uploadId: id, batch, ...builder.take() }),
      });
    });
    const count = batches.reduce((sum, b) => sum + b.length, 0);
    const validated = recorded(name, batches.length, {
      type: 'FileValidated',
      data: {
        uploadId: id,
        totalRows: count,
        acceptedRows: count,
        rejectedRows: 0,
        ...(intervalMinutes === undefined ? {} : { intervalMinutes }),
        meters: 2,
        firstIntervalStart: null,
        lastIntervalStart: null,
        duplicateOf: null,
        validatedAt: 'now',
      },
    });
    return { readingsEvents, validated };
  }

  const slots = (meter: string, from: number, to: number, step: number, kwh: (slot: number) => number) =>
    Array.from({ length: Math.ceil((to - from) / step) }, (_, i): [string, number, number] => {
      const slot = from + i * step;
      return [meter, t0 + slot * 900_000, kwh(slot)];
    });

  /** Each event handled by itself (so uploads are prepared ahead between them) against all in one program. */
  async function aheadAndDirect(all: RecordedEvent[]) {
    const ahead = openSqliteDatabase(':memory:');
    const aheadStore = new SqliteBillingReadModel(ahead);
    const projection = new BillingProjection(aheadStore, rules, { batchesPerRead: 1, daysInMemory: 4 });
    const seen: unknown[][] = [];
    for (const event of all) {
      await projection.handle([event]);
      seen.push(aheadStore.dump().prepared ?? []);
    }
    const direct = openSqliteDatabase(':memory:');
    const directStore = new SqliteBillingReadModel(direct);
    await directStore.run(() => new BillingProjection(directStore, rules).program(all));
    const result = { ahead: aheadStore.dump(), direct: directStore.dump(), seen };
    ahead.close();
    direct.close();
    return result;
  }

  it('an upload applied first makes the other preparation stale: the one validated later wins, as without preparing', async () => {
    // A holds the first 60 slots of MP1's day and all of MP2's; B the slots 40-100 of MP1 with other values.
    const a = upload('A', [slots('MP1', 0, 60, 1, (s) => 1000 + s), slots('MP2', 0, 100, 1, (s) => 7 + s)]);
    const b = upload('B', [slots('MP1', 40, 100, 1, (s) => 500_000 + s)]);
    const { ahead, direct, seen } = await aheadAndDirect([
      prices,
      ...a.readingsEvents,
      ...b.readingsEvents,
      b.validated,
      a.validated,
    ]);
    // A was prepared ahead (both batches) before B took effect, which made it stale.
    expect(seen[2]).toEqual([{ upload_id: 'A', through_batch: 1, complete: 0, stale: 0 }]);
    expect(seen[4]).toEqual([expect.objectContaining({ upload_id: 'A', stale: 1 })]);
    expect(ahead).toEqual(direct);
    const [mp1] = dailyOf(ahead, 'MP1').map((row) => row.total_kwh_micro);
    // 0-59 from A (validated later), 60-99 from B.
    const expected =
      Array.from({ length: 60 }, (_, s) => 1000 + s).reduce((x, y) => x + y, 0) +
      Array.from({ length: 40 }, (_, i) => 500_000 + 60 + i).reduce((x, y) => x + y, 0);
    expect(mp1).toBe(expected);
    expect(ahead.pending).toEqual([]);
    expect(ahead.prepared).toEqual([]);
  });

  it('prices published between the readings and their validation: prepared again under the new prices', async () => {
    const a = upload('A', [slots('MP1', 0, 100, 1, (s) => 1000 + s)]);
    const { ahead, direct, seen } = await aheadAndDirect([...a.readingsEvents, prices, a.validated]);
    expect(seen[0]).toEqual([expect.objectContaining({ upload_id: 'A', stale: 0 })]);
    expect(seen[1]).toEqual([expect.objectContaining({ upload_id: 'A', stale: 1 })]);
    expect(ahead).toEqual(direct);
    expect(dailyOf(ahead, 'MP1')).toEqual([expect.objectContaining({ intervals: 100, priced_intervals: 100 })]);
  });

  it('a half-hourly upload prepared ahead at the server resolution is prepared again at 30 minutes', async () => {
    const a = upload('A', [slots('MP1', 0, 100, 2, (s) => 2000 + s)], 30);
    const { ahead, direct } = await aheadAndDirect([prices, ...a.readingsEvents, a.validated]);
    expect(ahead).toEqual(direct);
    expect(dailyOf(ahead, 'MP1')).toEqual([expect.objectContaining({ intervals: 50, expected_intervals: 50 })]);
  });
});

interface DailyRow {
  meter: string;
  total_kwh_micro: number;
  intervals: number;
  expected_intervals: number;
  priced_intervals: number;
}

function dailyOf(dump: Record<string, unknown[]>, meter: string): DailyRow[] {
  return (dump.daily as DailyRow[]).filter((row) => row.meter === meter);
}
