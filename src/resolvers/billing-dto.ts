import type { DailyUsageDoc } from '../domain/billing/daily-usage';
import type { InvoiceDoc } from '../domain/billing/invoice';
import { formatEuros } from '../domain/billing/money';
import type { DailyUsageType, InvoiceStatus, InvoiceType } from './types/billing.types';

/**
 * The read model's documents as the GraphQL types show them. Kept apart from the resolvers (no
 * decorators here), so the CSV exports write exactly these values too.
 */
export const kwh = (micro: number): number => micro / 1e6;

export function dailyUsageDto(doc: DailyUsageDoc): DailyUsageType {
  return {
    meter: doc.meter,
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
  };
}

export function invoiceDto(doc: InvoiceDoc): InvoiceType {
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
    status: doc.status as InvoiceStatus,
  };
}
