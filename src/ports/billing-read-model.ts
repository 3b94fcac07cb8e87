import type { DailyUsageDoc, PriceInterval } from '../domain/billing/daily-usage';
import type { InvoiceDoc } from '../domain/billing/invoice';
import type { MeterDayKey, MeterDayRow, MeterDaySlots } from '../domain/billing/meter-day';
import type { Page } from './pagination';

export interface PriceDay {
  market: string;
  deliveryDate: string;
  intervals: PriceInterval[];
}

/**
 * What the billing projection asks of its store while it handles a batch of events. The projection is
 * written once as a program of these requests (a generator); each store runs the whole program inside
 * one atomic commit (SQLite: one transaction, driven synchronously; MongoDB: one session transaction),
 * answering each request as it comes, so a batch takes effect whole or not at all and memory stays
 * bounded by the pages asked for.
 */
export type BillingRequest =
  /** Keeps a readings event's batch (its binary payload) until its upload is validated or dropped. */
  | { op: 'stageBatch'; uploadId: string; batch: number; bytes: Uint8Array }
  | { op: 'stagedBatches'; uploadId: string; afterBatch: number; limit: number }
  | { op: 'dropStaged'; uploadId: string }
  /** Whether the upload's readings took effect already (a redelivered `FileValidated` changes nothing). */
  | { op: 'uploadApplied'; uploadId: string }
  | { op: 'markApplied'; uploadId: string; position: string }
  /** The billed slots of these meter-days (those that have any). */
  | { op: 'meterDays'; keys: readonly MeterDayKey[] }
  /** The billed slots of a date's meter-days, by meter, a page at a time. */
  | { op: 'meterDaysOfDate'; date: string; afterMeter: string | null; limit: number }
  /** Writes meter-days whole: slots and daily figures. */
  | { op: 'putMeterDays'; days: readonly MeterDayRow[] }
  /** Replaces the daily figures of meter-days that exist, their slots unchanged (a day re-priced). */
  | { op: 'putDayTotals'; days: readonly DailyUsageDoc[] }
  /**
   * An upload's meter-days prepared ahead of its taking effect, in several short commits (kept apart
   * from the billed ones, which readers see): read back while preparing, written, and finally applied
   * to the billed days in one commit, or dropped.
   */
  | { op: 'pendingDays'; uploadId: string; keys: readonly MeterDayKey[] }
  | { op: 'putPendingDays'; uploadId: string; days: readonly MeterDayRow[] }
  /** How far the upload's pending days are prepared (null: not begun). */
  | { op: 'preparation'; uploadId: string }
  | { op: 'putPreparation'; uploadId: string; preparation: Preparation }
  /**
   * Marks every upload's preparation stale but `except`'s (all when null): the billed days or the
   * prices they were overlaid on changed, so they are prepared again before they take effect.
   */
  | { op: 'stalePreparations'; except: string | null }
  /**
   * Replaces the billed meter-days by the upload's pending ones, when its preparation is complete and
   * not stale; answers whether it was, and the (meter, month) pairs it touched.
   */
  | { op: 'applyPending'; uploadId: string }
  | { op: 'dropPending'; uploadId: string }
  | { op: 'prices'; market: string; from: number; to: number }
  | { op: 'putPriceDay'; day: PriceDay }
  /** The daily rows of these meters in the month, by meter then date. */
  | { op: 'dailyOfMonth'; meters: readonly string[]; month: string }
  /**
   * A meter's register days (series keys starting with `prefix`, such as `MP1#IMPORT#`) of a date:
   * billed, or this upload's pending ones.
   */
  | { op: 'registerDays'; prefixes: readonly RegisterDate[] }
  | { op: 'pendingRegisterDays'; uploadId: string; prefixes: readonly RegisterDate[] }
  /** The daily rows of every series starting with one of the prefixes, in the month. */
  | { op: 'registersOfMonth'; prefixes: readonly string[]; month: string }
  | { op: 'putInvoices'; invoices: readonly InvoiceDoc[] }
  | { op: 'checkpoint'; position: string };

/** The registers of one meter and kind (a series key prefix) on one date. */
export interface RegisterDate {
  prefix: string;
  date: string;
}

/** How far an upload's pending meter-days hold its staged batches. */
export interface Preparation {
  /** The last staged batch overlaid into the pending days (-1: none). */
  throughBatch: number;
  /** Every batch of the upload is in (its `FileValidated` came): `applyPending` may apply them. */
  complete: boolean;
  /** Prepared over billed days or prices that changed since: of no use, prepared again. */
  stale: boolean;
}

export interface StagedBatch {
  batch: number;
  bytes: Uint8Array;
}

/** The answer each request gets. */
export interface BillingAnswers {
  stageBatch: void;
  stagedBatches: StagedBatch[];
  dropStaged: void;
  uploadApplied: boolean;
  markApplied: void;
  meterDays: MeterDaySlots[];
  meterDaysOfDate: MeterDaySlots[];
  putMeterDays: void;
  putDayTotals: void;
  pendingDays: MeterDaySlots[];
  putPendingDays: void;
  preparation: Preparation | null;
  putPreparation: void;
  stalePreparations: void;
  applyPending: { prepared: boolean; touched: Array<{ meter: string; month: string }> };
  dropPending: void;
  prices: PriceInterval[];
  putPriceDay: void;
  dailyOfMonth: DailyUsageDoc[];
  registerDays: MeterDaySlots[];
  pendingRegisterDays: MeterDaySlots[];
  registersOfMonth: DailyUsageDoc[];
  putInvoices: void;
  checkpoint: void;
}

export type BillingProgram = Generator<BillingRequest, void, unknown>;

/** Runs one request of a program inside the store's open commit. */
export type BillingAnswer = BillingAnswers[BillingRequest['op']];

/** The billing projection's store: checkpoint, reset, and one atomic run of a program. */
export interface BillingProjectionStore {
  getCheckpoint(): Promise<string | null>;
  /**
   * Runs the program to its end inside one atomic commit. `program` may be called again (a MongoDB
   * transaction retried after a transient error), so it must start from scratch each time.
   */
  run(program: () => BillingProgram): Promise<void>;
  reset(): Promise<void>;
}

export interface DailyTotalsRow {
  date: string;
  meters: number;
  totalKwhMicro: number;
}

export interface BillingQueries {
  /** The daily rows of one series (a meter's billed import under its own id: `domain/billing/series.ts`). */
  dailyUsage(meter: string, fromDate: string, toDate: string): Promise<DailyUsageDoc[]>;
  /** The days, with their slots, of every series whose key starts with `prefix` (a meter's registers of a kind). */
  seriesDays(prefix: string, fromDate: string, toDate: string): Promise<MeterDayRow[]>;
  /** The series a meter has billed days of (its own id for its billed import), with the intervals they are kept at. */
  seriesOfMeter(meter: string): Promise<Array<{ key: string; intervalMinutes: number[] }>>;
  /**
   * Daily rows of every meter (or one) between two dates, by meter then date, the `limit` after the
   * (meter, date) key `after`: for exports that page through them.
   */
  dailyUsagePage(
    range: { fromDate: string; toDate: string; meter: string | null },
    after: { meter: string; date: string } | null,
    limit: number,
  ): Promise<DailyUsageDoc[]>;
  dailyTotals(date: string): Promise<DailyTotalsRow | null>;
  meters(): Promise<string[]>;
  prices(market: string, from: number, to: number): Promise<PriceInterval[]>;
  invoices(month: string, meter: string | null, first: number, after: string | null): Promise<Page<InvoiceDoc>>;
  invoice(id: string): Promise<InvoiceDoc | null>;
  /** The billed readings (slots) of a meter's days from `fromDate` to `toDate`, by date. */
  daySlots(meter: string, fromDate: string, toDate: string): Promise<MeterDaySlots[]>;
  /** The meter's invoices of the latest `count` months that have any, newest first. */
  latestInvoices(meter: string, count: number): Promise<InvoiceDoc[]>;
}
