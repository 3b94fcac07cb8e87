/**
 * An upload's readings gathered per meter-day and overlaid on the days they replace (the later validated
 * file wins every reading it holds), totalled and priced.
 */
import { emptySlots, meterDayKey, overlay, addReading, type MeterDayRow } from '../../domain/billing/meter-day';
import { decodeReadingsBatch } from '../../domain/readings/readings-batch';
import type { BillingProgram, BillingRequest, StagedBatch } from '../../ports/billing-read-model';
import type { BatchState } from './batch-state';
import { ask, PAGE, type BillingContext, type IntervalOf, type UploadDay } from './rules';

/**
 * Gathers a page of staged batches per meter-day and overlays them (`overlayDays`), at most
 * `daysInMemory` meter-days at a time; a day met again after a flush is overlaid again, which gives
 * the same result since a file holds each reading once. Answers null, or why a reading does not fit
 * its meter's interval (the page is then left half done: the caller discards it).
 */
export function* overlayStaged(
  b: BillingContext,
  uploadId: string,
  staged: readonly StagedBatch[],
  batch: BatchState,
  pendingOf: string | null,
  intervalOf: IntervalOf,
): Generator<BillingRequest, string | null, unknown> {
  let days = new Map<string, UploadDay>();
  for (const { bytes } of staged) {
    const offGrid = gather(b, uploadId, bytes, days, batch, intervalOf);
    if (offGrid !== null) return offGrid;
    if (days.size >= b.limits.daysInMemory) {
      yield* overlayDays(b, [...days.values()], batch, pendingOf);
      days = new Map();
    }
  }
  yield* overlayDays(b, [...days.values()], batch, pendingOf);
  return null;
}

/** Adds a staged batch's readings to the gathered meter-days; answers why a reading does not fit, or null. */
function gather(
  b: BillingContext,
  uploadId: string,
  bytes: Uint8Array,
  days: Map<string, UploadDay>,
  batch: BatchState,
  intervalOf: IntervalOf,
): string | null {
  const readings = decodeReadingsBatch(bytes);
  const intervals = readings.meters.map(intervalOf);
  const perMeter: Array<Map<number, UploadDay>> = readings.meters.map(() => new Map());
  // Import is billed: the registers of that kind (E1, E2) are summed; the other kinds are kept in the
  // log and not billed here.
  const billed = readings.channels?.map((channel) => channel.kind === 'IMPORT') ?? null;
  for (let i = 0; i < readings.startMs.length; i++) {
    if (billed !== null && !billed[readings.channel![i]!]) continue;
    const meterIndex = readings.meter[i]!;
    const start = readings.startMs[i]!;
    const day = batch.dayAt(start);
    const ofMeter = perMeter[meterIndex]!;
    let gathered = ofMeter.get(day.number);
    if (gathered === undefined) {
      const meter = readings.meters[meterIndex]!;
      const key = meterDayKey(meter, day.day.date);
      gathered = days.get(key);
      if (gathered === undefined) {
        gathered = { meter, date: day.day.date, ...emptySlots(day.day, intervals[meterIndex]!) };
        days.set(key, gathered);
      }
      ofMeter.set(day.number, gathered);
    }
    if (!addReading(gathered, start, readings.kwhMicro[i]!)) {
      return `upload ${uploadId}: reading of ${gathered.meter} at ${new Date(start).toISOString()} is not on the ${gathered.intervalMinutes}-minute grid`;
    }
  }
  return null;
}

/**
 * Overlays an upload's gathered meter-days, in pages, on the days they replace and prices them. With
 * `pendingOf`, into that upload's pending rows (each on its pending day when met before, else on the
 * billed one); without, straight into the billed days of this commit.
 */
function* overlayDays(
  b: BillingContext,
  days: UploadDay[],
  batch: BatchState,
  pendingOf: string | null,
): BillingProgram {
  for (let from = 0; from < days.length; from += PAGE) {
    const page = days.slice(from, from + PAGE);
    const pending = pendingOf === null ? [] : yield* ask({ op: 'pendingDays', uploadId: pendingOf, keys: page });
    const pendingByKey = new Map(pending.map((d) => [meterDayKey(d.meter, d.date), d]));
    const missing = page.filter((d) => !pendingByKey.has(meterDayKey(d.meter, d.date)));
    const billed = missing.length === 0 ? [] : yield* ask({ op: 'meterDays', keys: missing });
    const billedByKey = new Map(billed.map((d) => [meterDayKey(d.meter, d.date), d]));
    yield* batch.loadPrices(page);
    const rows: MeterDayRow[] = [];
    for (const day of page) {
      const key = meterDayKey(day.meter, day.date);
      if (pendingOf === null) batch.touched(day.meter, day.date);
      rows.push(batch.billed(day, overlay(pendingByKey.get(key) ?? billedByKey.get(key) ?? null, day)));
    }
    yield* ask(
      pendingOf === null
        ? { op: 'putMeterDays', days: rows }
        : { op: 'putPendingDays', uploadId: pendingOf, days: rows },
    );
  }
}
