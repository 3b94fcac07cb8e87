/**
 * What the billing projection's parts share: the rules it bills by, the limits it works within, and how a
 * step of its program asks the store one thing.
 */
import type { FileValidated } from '../../domain/readings/events';
import { meterIntervalOf, seriesIntervalOf } from '../../domain/readings/events';
import { seriesOf } from '../../domain/billing/series';
import type { DaySlots, MeterDayKey } from '../../domain/billing/meter-day';
import type { ZonedClock } from '../../domain/time/zoned-time';
import type { BillingAnswers, BillingRequest } from '../../ports/billing-read-model';

export interface BillingRules {
  clock: ZonedClock;
  resolutionMinutes: number;
  /** The market whose prices bill the readings. */
  market: string;
}

export interface BillingLimits {
  /** Staged batches read at a time (50,000 readings, about 500 KB, each). */
  batchesPerRead: number;
  /** An upload's meter-days gathered in memory before they are overlaid on the billed ones (about 1 KB each). */
  daysInMemory: number;
}

export const DEFAULT_BILLING_LIMITS: BillingLimits = { batchesPerRead: 4, daysInMemory: 8_192 };

export interface BillingContext {
  rules: BillingRules;
  limits: BillingLimits;
}

/** Billed meter-days are read and written this many at a time. */
export const PAGE = 1_000;
/** Invoices are re-summed for this many meters at a time (a month of daily rows each). */
export const INVOICE_PAGE = 200;

/** A series' interval in an upload (a meter's billed import, or one of its registers: `series.ts`). */
export type IntervalOf = (seriesKey: string) => number;

/** An upload's readings of one meter-day, gathered while its upload takes effect. */
export interface UploadDay extends MeterDayKey, DaySlots {}

/** Asks the store one thing and gets its typed answer. */
export function* ask<R extends BillingRequest>(
  request: R,
): Generator<BillingRequest, BillingAnswers[R['op']], unknown> {
  return (yield request) as BillingAnswers[R['op']];
}

/** Each meter's interval in an upload, as its validation found it (the server's resolution for older events). */
export function intervalsOf(b: BillingContext, validated: FileValidated['data']): IntervalOf {
  return (key) =>
    seriesIntervalOf(validated, key) ?? meterIntervalOf(validated, seriesOf(key).meter, b.rules.resolutionMinutes);
}

/** Whether validation found every meter of the upload at the server's resolution (what ahead assumes). */
export function atResolution(b: BillingContext, validated: FileValidated['data']): boolean {
  const resolution = b.rules.resolutionMinutes;
  return (
    (validated.intervalMinutes ?? resolution) === resolution &&
    Object.values(validated.otherIntervals ?? {}).every((minutes) => minutes === resolution)
  );
}
