import type { DailyUsageDoc, PriceInterval } from '../domain/billing/daily-usage';
import type { InvoiceDoc } from '../domain/billing/invoice';
import type { Page } from './pagination';

export interface StoredReading {
  start: number;
  kwhMicro: number;
}

export interface PriceDay {
  market: string;
  deliveryDate: string;
  intervals: PriceInterval[];
}

export interface BillingChanges {
  /** Current reading per (meter, interval start); a later one replaces an earlier one. */
  readings: ReadonlyArray<{ meter: string; start: number; kwhMicro: number }>;
  /** Each replaces every price interval of its market and delivery day. */
  priceDays: readonly PriceDay[];
  daily: readonly DailyUsageDoc[];
  invoices: readonly InvoiceDoc[];
  checkpoint: string;
}

/** Reads and the one atomic write of the billing projection. */
export interface BillingProjectionStore {
  getCheckpoint(): Promise<string | null>;
  readingsOf(meter: string, from: number, to: number): Promise<StoredReading[]>;
  /** Meters with at least one reading in [from, to). */
  metersWithReadings(from: number, to: number): Promise<string[]>;
  priceIntervals(market: string, from: number, to: number): Promise<PriceInterval[]>;
  dailyOf(meter: string, fromDate: string, toDate: string): Promise<DailyUsageDoc[]>;
  commit(changes: BillingChanges): Promise<void>;
  reset(): Promise<void>;
}

export interface DailyTotalsRow {
  date: string;
  meters: number;
  totalKwhMicro: number;
}

export interface BillingQueries {
  dailyUsage(meter: string, fromDate: string, toDate: string): Promise<DailyUsageDoc[]>;
  dailyTotals(date: string): Promise<DailyTotalsRow | null>;
  meters(): Promise<string[]>;
  prices(market: string, from: number, to: number): Promise<PriceInterval[]>;
  invoices(month: string, meter: string | null, first: number, after: string | null): Promise<Page<InvoiceDoc>>;
  invoice(id: string): Promise<InvoiceDoc | null>;
  /** The meter's invoices of the latest `count` months that have any, newest first. */
  latestInvoices(meter: string, count: number): Promise<InvoiceDoc[]>;
}
