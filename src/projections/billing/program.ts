/**
 * The billing program for a batch of events: prices first, then the uploads' staged readings, their
 * taking effect or being dropped, and the invoices of every (meter, month) touched; run by the store in
 * one atomic commit with the checkpoint.
 */
import type { DailyUsageDoc } from '../../domain/billing/daily-usage';
import { computeInvoice } from '../../domain/billing/invoice';
import { registerPrefix, seriesOf } from '../../domain/billing/series';
import type { MeterDaySlots } from '../../domain/billing/meter-day';
import { toMicro } from '../../domain/billing/money';
import type { MarketPricesPublished } from '../../domain/billing/prices-events';
import type { FileValidated } from '../../domain/readings/events';
import { UPLOAD_STREAM_PREFIX } from '../../domain/readings/events';
import {
  decodeReadingsBatch,
  encodeReadingsBatch,
  isReadingsBatchBytes,
  readingsHeaderOf,
} from '../../domain/readings/readings-batch';
import type { BillingProgram, PriceDay } from '../../ports/billing-read-model';
import type { RecordedEvent } from '../../ports/event-store';
import { BatchState } from './batch-state';
import { overlayStaged } from './overlay';
import { ask, INVOICE_PAGE, intervalsOf, PAGE, type BillingContext, type IntervalOf } from './rules';

/** Price intervals of a publication, in the form the billing rules use. */
export function priceDayOf(event: MarketPricesPublished): PriceDay {
  const durationMs = event.data.resolutionMinutes * 60_000;
  return {
    market: event.data.market,
    deliveryDate: event.data.deliveryDate,
    intervals: event.data.points.map((p) => {
      const start = Date.parse(p.start);
      return { start, end: start + durationMs, priceMicro: toMicro(p.price) };
    }),
  };
}

export function* billingProgram(b: BillingContext, events: readonly RecordedEvent[]): BillingProgram {
  const batch = new BatchState(b.rules);
  // Prices first. A meter-day's totals depend only on its readings and on the prices once the batch is
  // done, so pricing with the batch's final prices gives what following the events one by one would,
  // and an upload whose prices come in the same batch is priced once, not twice.
  for (const event of events) {
    if (event.type !== 'MarketPricesPublished' || event.streamName.startsWith(UPLOAD_STREAM_PREFIX)) continue;
    const day = priceDayOf(event as unknown as MarketPricesPublished);
    if (day.market !== b.rules.market) continue;
    yield* ask({ op: 'putPriceDay', day });
    batch.pricesChanged(day.deliveryDate);
  }
  // Uploads prepared under the old prices are prepared again before they take effect.
  if (batch.repricedDates.size > 0) yield* ask({ op: 'stalePreparations', except: null });
  yield* reprice(b, batch);
  for (const event of events) {
    if (!event.streamName.startsWith(UPLOAD_STREAM_PREFIX)) continue;
    const uploadId = event.streamName.slice(UPLOAD_STREAM_PREFIX.length);
    switch (event.type) {
      case 'ReadingsAccepted': {
        // Binary (v2) payloads are staged as they are; a v1 JSON payload is staged in the v2 form.
        // A batch redelivered after its upload took effect is not staged again.
        if (yield* ask({ op: 'uploadApplied', uploadId })) break;
        const bytes = isReadingsBatchBytes(event.data)
          ? event.data
          : encodeReadingsBatch(decodeReadingsBatch(event.data));
        yield* ask({ op: 'stageBatch', uploadId, batch: readingsHeaderOf(bytes).batch, bytes });
        break;
      }
      case 'FileValidated':
        if ((event.data as FileValidated['data']).duplicateOf === null)
          yield* applyPrepared(b, uploadId, event.position, batch, intervalsOf(b, event.data as FileValidated['data']));
        break;
      case 'FileRejected':
      case 'UploadFailed':
      case 'UploadInterrupted':
        yield* ask({ op: 'dropStaged', uploadId });
        yield* ask({ op: 'dropPending', uploadId });
        break;
      default:
        break;
    }
  }
  yield* invoices(b, batch);
  yield* ask({ op: 'checkpoint', position: events[events.length - 1]!.position });
}

/**
 * The upload's prepared meter-days take effect in this commit. One that was not prepared (a program
 * run by itself) is applied here from its staged batches instead.
 */
function* applyPrepared(
  b: BillingContext,
  uploadId: string,
  position: string,
  batch: BatchState,
  intervalOf: IntervalOf,
): BillingProgram {
  if (yield* ask({ op: 'uploadApplied', uploadId })) {
    yield* ask({ op: 'dropStaged', uploadId });
    yield* ask({ op: 'dropPending', uploadId });
    return;
  }
  const applied = yield* ask({ op: 'applyPending', uploadId });
  if (applied.prepared) {
    for (const { meter, month } of applied.touched) batch.touchedMonth(meter, month);
    yield* ask({ op: 'markApplied', uploadId, position });
    yield* ask({ op: 'dropStaged', uploadId });
  } else {
    yield* apply(b, uploadId, position, batch, intervalOf);
  }
  yield* ask({ op: 'dropPending', uploadId });
  // Other uploads were prepared over the billed days this one just changed.
  yield* ask({ op: 'stalePreparations', except: uploadId });
}

/**
 * The upload's staged readings take effect in this commit, a page of staged batches at a time:
 * gathered per meter-day, overlaid on the billed days, totalled and priced.
 */
function* apply(
  b: BillingContext,
  uploadId: string,
  position: string,
  batch: BatchState,
  intervalOf: IntervalOf,
): BillingProgram {
  let afterBatch = -1;
  for (;;) {
    const staged = yield* ask({ op: 'stagedBatches', uploadId, afterBatch, limit: b.limits.batchesPerRead });
    const offGrid = yield* overlayStaged(b, uploadId, staged, batch, null, intervalOf);
    if (offGrid !== null) throw new Error(offGrid);
    if (staged.length < b.limits.batchesPerRead) break;
    afterBatch = staged[staged.length - 1]!.batch;
  }
  yield* ask({ op: 'markApplied', uploadId, position });
  yield* ask({ op: 'dropStaged', uploadId });
}

/** Re-prices every billed meter-day of each date whose prices changed in this batch. */
function* reprice(b: BillingContext, batch: BatchState): BillingProgram {
  for (const date of batch.repricedDates) {
    let afterMeter: string | null = null;
    for (;;) {
      const page: MeterDaySlots[] = yield* ask({ op: 'meterDaysOfDate', date, afterMeter, limit: PAGE });
      yield* batch.loadPrices(page);
      const totals: DailyUsageDoc[] = [];
      for (const day of page) {
        batch.touched(day.meter, day.date);
        totals.push(batch.totals(day, day));
      }
      // The slots stay as they are: only the figures change.
      yield* ask({ op: 'putDayTotals', days: totals });
      if (page.length < PAGE) break;
      afterMeter = page[page.length - 1]!.meter;
    }
  }
}

/** Re-sums the invoice of every (meter, month) a billed meter-day of this batch belongs to. */
function* invoices(b: BillingContext, batch: BatchState): BillingProgram {
  for (const [month, touched] of batch.touchedMonths) {
    // A touched series (a register, a kind) is its meter's: the meter's invoice is summed again.
    const meters = [...new Set([...touched].map((key) => seriesOf(key).meter))].sort();
    for (let from = 0; from < meters.length; from += INVOICE_PAGE) {
      const page = meters.slice(from, from + INVOICE_PAGE);
      const rows = yield* ask({ op: 'dailyOfMonth', meters: page, month });
      const exported = yield* ask({
        op: 'registersOfMonth',
        prefixes: page.map((meter) => registerPrefix(meter, 'EXPORT')),
        month,
      });
      const byMeter = new Map<string, DailyUsageDoc[]>(page.map((meter) => [meter, []]));
      const exportOf = new Map<string, DailyUsageDoc[]>(page.map((meter) => [meter, []]));
      for (const row of rows) byMeter.get(row.meter)?.push(row);
      for (const row of exported) exportOf.get(seriesOf(row.meter).meter)?.push(row);
      const invoices = page.map((meter) => {
        const days = byMeter.get(meter)!;
        const grid = batch.gridOfMonth(month, days);
        return computeInvoice(meter, month, days, grid.expectedIntervals, grid.intervalMinutes, exportOf.get(meter)!);
      });
      yield* ask({ op: 'putInvoices', invoices });
    }
  }
}
