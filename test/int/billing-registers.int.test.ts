/**
 * Billing's registers and kinds on real SQLite: a meter's import registers (E1, E2) are billed as their
 * sum however the batches fall into pages and flushes, a later file replacing one register changes the
 * bill by the difference, and the export is valued on the meter's invoice at the market price.
 */
import { randomUUID } from 'node:crypto';
import type { Channel } from '../../src/domain/readings/channels';
import { encodeReadingsBatch, ReadingsBatchBuilder } from '../../src/domain/readings/readings-batch';
import { ZonedClock } from '../../src/domain/time/zoned-time';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { SqliteBillingReadModel } from '../../src/infrastructure/sqlite/sqlite-billing-read-model';
import { BillingProjection } from '../../src/projections/billing/projection';
import type { BillingLimits } from '../../src/projections/billing/rules';
import type { RecordedEvent } from '../../src/ports/event-store';

const clock = new ZonedClock('UTC');
const rules = { clock, resolutionMinutes: 30, market: 'AU' };
const dayStart = Date.parse('2026-10-01T00:00:00Z');
const E1: Channel = { id: 'E1', kind: 'IMPORT' };
const E2: Channel = { id: 'E2', kind: 'IMPORT' };
const B1: Channel = { id: 'B1', kind: 'EXPORT' };

let position = 0;
function event(streamName: string, revision: number, type: string, data: unknown): RecordedEvent {
  position += 1;
  return {
    id: randomUUID(),
    type,
    data,
    metadata: {},
    streamName,
    revision,
    position: String(position),
    created: new Date(0),
  };
}

/** An upload of one batch per channel: every half-hour of `days` days, `value(channel, i)` micro-kWh. */
function upload(uploadId: string, channels: Channel[], days: number, value: (c: Channel, i: number) => number) {
  const stream = `upload-${uploadId}`;
  const events: RecordedEvent[] = [
    event(stream, 0, 'FileReceived', {
      uploadId,
      fileName: `${uploadId}.csv`,
      byteSize: 1,
      sha256: uploadId,
      resolutionMinutes: 30,
      timeZone: 'UTC',
      uploadedBy: null,
      receivedAt: 'now',
    }),
  ];
  channels.forEach((channel, batch) => {
    const builder = new ReadingsBatchBuilder(days * 48);
    for (let i = 0; i < days * 48; i++) builder.add('NMI1', dayStart + i * 1_800_000, value(channel, i), 'A', channel);
    events.push(
      event(stream, batch + 1, 'ReadingsAccepted', encodeReadingsBatch({ uploadId, batch, ...builder.take() })),
    );
  });
  events.push(
    event(stream, channels.length + 1, 'FileValidated', {
      uploadId,
      totalRows: channels.length * days * 48,
      acceptedRows: channels.length * days * 48,
      rejectedRows: 0,
      intervalMinutes: 30,
      meters: 1,
      firstIntervalStart: null,
      lastIntervalStart: null,
      duplicateOf: null,
      validatedAt: 'now',
    }),
  );
  return events;
}

const prices = event('prices-AU-2026-10-01', 0, 'MarketPricesPublished', {
  market: 'AU',
  deliveryDate: '2026-10-01',
  resolutionMinutes: 60,
  points: Array.from({ length: 24 }, (_, h) => ({
    start: new Date(dayStart + h * 3_600_000).toISOString(),
    price: 40 + h * 3.5, // EUR/MWh
  })),
});

async function billed(events: RecordedEvent[], limits?: BillingLimits) {
  const store = new SqliteBillingReadModel(openSqliteDatabase(':memory:'));
  const projection = new BillingProjection(store, rules, limits);
  await projection.handle(events);
  return store;
}

const v = (c: Channel, i: number): number =>
  c.id === 'E1' ? 1000 + i : c.id === 'E2' ? 500 + 2 * i : 250_000 + 1_000 * i;
const sumOf = (c: Channel, from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => v(c, from + k)).reduce((a, b) => a + b, 0);

describe('billing by channel', () => {
  it.each([
    ['in one page', undefined],
    ['across pages and flushes', { batchesPerRead: 1, daysInMemory: 1 }],
  ])('bills the import registers E1 and E2 as their sum, %s, and keeps each register', async (_name, limits) => {
    const store = await billed([prices, ...upload('u1', [E1, E2, B1], 2, v)], limits);
    const [day1, day2] = await store.dailyUsage('NMI1', '2026-10-01', '2026-10-02');
    expect(day1!.totalKwhMicro).toBe(sumOf(E1, 0, 48) + sumOf(E2, 0, 48));
    expect(day2!.totalKwhMicro).toBe(sumOf(E1, 48, 96) + sumOf(E2, 48, 96));
    expect(day1!.intervals).toBe(48);
    const [e1] = await store.dailyUsage('NMI1#IMPORT#E1', '2026-10-01', '2026-10-01');
    expect(e1!.totalKwhMicro).toBe(sumOf(E1, 0, 48));
    expect(await store.meters()).toEqual(['NMI1']);
  });

  it('changes the bill by the difference when a later file replaces one register', async () => {
    const later = (c: Channel, i: number): number => (i < 48 ? 9_000 : v(c, i));
    const store = await billed([prices, ...upload('u1', [E1, E2], 2, v), ...upload('u2', [E2], 1, later)]);
    const [day1, day2] = await store.dailyUsage('NMI1', '2026-10-01', '2026-10-02');
    expect(day1!.totalKwhMicro).toBe(sumOf(E1, 0, 48) + 48 * 9_000);
    expect(day2!.totalKwhMicro).toBe(sumOf(E1, 48, 96) + sumOf(E2, 48, 96));
  });

  it("values the export on the meter's invoice at the market price, rounded once", async () => {
    const store = await billed([prices, ...upload('u1', [E1, B1], 1, v)]);
    const { items } = await store.invoices('2026-10', 'NMI1', 10, null);
    const invoice = items[0]!.node;
    expect(invoice.exportKwhMicro).toBe(sumOf(B1, 0, 48));
    // Each half-hour takes its hour's price: value = sum(kWh x EUR/MWh / 1000), exact (micro-kWh x
    // micro-EUR/MWh is femto-euros), then rounded half up to cents once.
    let femto = 0n;
    for (let i = 0; i < 48; i++) femto += BigInt(v(B1, i)) * BigInt(Math.round((40 + Math.floor(i / 2) * 3.5) * 1e6));
    const cents = (femto + 5n * 10n ** 12n) / 10n ** 13n;
    expect(invoice.exportValue).toBe(`${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`);
    expect(invoice.totalKwhMicro).toBe(sumOf(E1, 0, 48));
  });
});
