/**
 * An upload's readings gathered per meter-day and overlaid on the days they replace (the later validated
 * file wins every reading it holds), totalled and priced.
 */
import {
  emptySlots,
  meterDayKey,
  overlay,
  putReading,
  sumRegisters,
  type DaySlots,
  type MeterDayKey,
  type MeterDayRow,
} from '../../domain/billing/meter-day';
import { registerPrefix, seriesKey, seriesOf } from '../../domain/billing/series';
import { isDefaultChannel } from '../../domain/readings/channels';
import { channelAt, decodeReadingsBatch } from '../../domain/readings/readings-batch';
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

/**
 * Adds a staged batch's readings to the gathered series-days: a reading of the default channel to its
 * meter's billed import, any other to its register's series (`MP1#IMPORT#E1`, `MP1#EXPORT#B1`). Answers
 * why a reading does not fit its series' interval, or null.
 */
function gather(
  b: BillingContext,
  uploadId: string,
  bytes: Uint8Array,
  days: Map<string, UploadDay>,
  batch: BatchState,
  intervalOf: IntervalOf,
): string | null {
  const readings = decodeReadingsBatch(bytes);
  // The series each reading adds to, by (meter, channel): the meters themselves when the batch has no channels.
  const targets: Array<{ key: string; interval: number; days: Map<number, UploadDay> }> = [];
  const targetOf = new Map<number, number>();
  const channelCount = readings.channels?.length ?? 1;
  for (let i = 0; i < readings.startMs.length; i++) {
    const meterIndex = readings.meter[i]!;
    const channelIndex = readings.channel === undefined ? 0 : readings.channel[i]!;
    // Without channels a meter is its own series: no lookup by (meter, channel) per reading.
    const pair = meterIndex * channelCount + channelIndex;
    let targetIndex =
      readings.channel === undefined
        ? targets[meterIndex] === undefined
          ? undefined
          : meterIndex
        : targetOf.get(pair);
    if (targetIndex === undefined) {
      const meter = readings.meters[meterIndex]!;
      const channel = channelAt(readings, i);
      const key = isDefaultChannel(channel) ? meter : seriesKey(meter, channel.kind, channel.id);
      targetIndex = readings.channel === undefined ? meterIndex : targets.length;
      targets[targetIndex] = { key, interval: intervalOf(key), days: new Map() };
      targetOf.set(pair, targetIndex);
    }
    const target = targets[targetIndex]!;
    const start = readings.startMs[i]!;
    const day = batch.dayAt(start);
    let gathered = target.days.get(day.number);
    if (gathered === undefined) {
      const dayKey = meterDayKey(target.key, day.day.date);
      gathered = days.get(dayKey);
      if (gathered === undefined) {
        gathered = { meter: target.key, date: day.day.date, ...emptySlots(day.day, target.interval) };
        days.set(dayKey, gathered);
      }
      target.days.set(day.number, gathered);
    }
    const mark =
      readings.quality === undefined || readings.quality[i] === 0 ? '' : readings.qualities![readings.quality[i]! - 1]!;
    if (!putReading(gathered, start, readings.kwhMicro[i]!, mark)) {
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
    rows.push(...(yield* importOfRegisters(rows, batch, pendingOf)));
    yield* ask(
      pendingOf === null
        ? { op: 'putMeterDays', days: rows }
        : { op: 'putPendingDays', uploadId: pendingOf, days: rows },
    );
  }
}

/**
 * The billed import of every meter-day whose import registers (E1, E2...) are among `rows`: the sum of
 * all its registers as they stand once `rows` are written (the upload's pending registers before the
 * billed ones), priced. So a register a later file replaces changes the billed import by the difference.
 */
function* importOfRegisters(
  rows: readonly MeterDayRow[],
  batch: BatchState,
  pendingOf: string | null,
): Generator<BillingRequest, MeterDayRow[], unknown> {
  const meterDays = new Map<string, MeterDayKey>();
  for (const row of rows) {
    const series = seriesOf(row.meter);
    if (series.kind !== 'IMPORT' || series.channel === null) continue;
    meterDays.set(meterDayKey(series.meter, row.date), { meter: series.meter, date: row.date });
  }
  if (meterDays.size === 0) return [];
  const prefixes = [...meterDays.values()].map(({ meter, date }) => ({
    prefix: registerPrefix(meter, 'IMPORT'),
    date,
  }));
  const billed = yield* ask({ op: 'registerDays', prefixes });
  const pending = pendingOf === null ? [] : yield* ask({ op: 'pendingRegisterDays', uploadId: pendingOf, prefixes });
  // Later sources win: billed, then this upload's pending registers, then the rows just made.
  const registers = new Map<string, DaySlots & MeterDayKey>();
  for (const day of [...billed, ...pending, ...rows]) registers.set(meterDayKey(day.meter, day.date), day);
  const byMeterDay = new Map<string, Array<DaySlots & MeterDayKey>>();
  for (const day of registers.values()) {
    const series = seriesOf(day.meter);
    if (series.kind !== 'IMPORT' || series.channel === null) continue;
    const key = meterDayKey(series.meter, day.date);
    if (!meterDays.has(key)) continue;
    byMeterDay.set(key, [...(byMeterDay.get(key) ?? []), day]);
  }
  yield* batch.loadPrices([...meterDays.values()]);
  return [...meterDays].map(([key, { meter, date }]) => {
    if (pendingOf === null) batch.touched(meter, date);
    return batch.billed({ meter, date }, sumRegisters(byMeterDay.get(key)!));
  });
}
