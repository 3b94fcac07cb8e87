/**
 * The billing read model's documents as the service shows them: the GraphQL types and the CSV and
 * Parquet exports write exactly these values (kWh as numbers, money as decimal text).
 */
import type { DailyUsageDoc } from '../domain/billing/daily-usage';
import type { InvoiceDoc, InvoiceStatus } from '../domain/billing/invoice';
import { formatEuros } from '../domain/billing/money';
import { decodeMarkCounts } from '../domain/billing/meter-day';
import { seriesOf } from '../domain/billing/series';
import { unitOfKind, type ChannelKind } from '../domain/readings/channels';

/** Usage of one meter on one local day. */
export interface DailyUsageView {
  meter: string;
  date: string;
  totalKwh: number;
  minKwh: number;
  maxKwh: number;
  avgKwh: number;
  intervals: number;
  expectedIntervals: number;
  complete: boolean;
  energyCost: string;
  unpricedIntervals: number;
  kind: ChannelKind;
  /** One channel's day (`B1`), or '' for all the kind's channels (a meter's billed import). */
  channel: string;
  unit: string;
  /** The day's readings by quality mark. */
  qualityMarks: Array<{ mark: string; readings: number }>;
}

/** The monthly invoice of one meter. */
export interface InvoiceView {
  id: string;
  meter: string;
  month: string;
  totalKwh: number;
  energyCost: string;
  currency: string;
  averagePricePerKwh: string | null;
  averageDailyKwh: number;
  intervals: number;
  expectedIntervals: number;
  unpricedIntervals: number;
  intervalMinutes: number[];
  status: InvoiceStatus;
  exportKwh: number;
  exportValue: string;
  qualityMarks: Array<{ mark: string; readings: number }>;
  estimatedIntervals: number;
}

export const kwh = (micro: number): number => micro / 1e6;

export function dailyUsageView(doc: DailyUsageDoc): DailyUsageView {
  // A register's or a kind's days are kept under a series key: shown under the meter, with their kind.
  const series = seriesOf(doc.meter);
  return {
    meter: series.meter,
    date: doc.date,
    totalKwh: kwh(doc.totalKwhMicro),
    minKwh: kwh(doc.minKwhMicro),
    maxKwh: kwh(doc.maxKwhMicro),
    avgKwh: doc.intervals === 0 ? 0 : kwh(doc.totalKwhMicro) / doc.intervals,
    intervals: doc.intervals,
    expectedIntervals: doc.expectedIntervals,
    complete: doc.intervals === doc.expectedIntervals,
    energyCost: formatEuros(BigInt(doc.costFemto)),
    unpricedIntervals: doc.intervals - doc.pricedIntervals,
    kind: series.kind,
    channel: series.channel ?? '',
    unit: unitOfKind(series.kind),
    qualityMarks: decodeMarkCounts(doc.qualityMarks),
  };
}

export function invoiceView(doc: InvoiceDoc): InvoiceView {
  return {
    id: doc.id,
    meter: doc.meter,
    month: doc.month,
    totalKwh: kwh(doc.totalKwhMicro),
    energyCost: doc.energyCost,
    currency: doc.currency,
    averagePricePerKwh: doc.averagePricePerKwh,
    averageDailyKwh: doc.averageDailyKwh,
    intervals: doc.intervals,
    expectedIntervals: doc.expectedIntervals,
    unpricedIntervals: doc.unpricedIntervals,
    intervalMinutes: doc.intervalMinutes ?? [],
    status: doc.status,
    exportKwh: kwh(doc.exportKwhMicro ?? 0),
    exportValue: doc.exportValue ?? '0.00',
    qualityMarks: decodeMarkCounts(doc.qualityMarks),
    estimatedIntervals: doc.estimatedIntervals ?? 0,
  };
}
