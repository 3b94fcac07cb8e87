import type { DailyUsageDoc } from './daily-usage';
import { decodeMarkCounts, encodeMarkCounts, ESTIMATED_MARKS } from './meter-day';
import { formatEurPerKwh, formatEuros } from './money';

export type InvoiceStatus = 'COMPLETE' | 'MISSING_READINGS' | 'MISSING_PRICES';

export interface InvoiceDoc {
  id: string;
  meter: string;
  month: string;
  totalKwhMicro: number;
  /** Exact cost in femto-euros (BigInt as a decimal string); `energyCost` is it rounded to cents. */
  costFemto: string;
  energyCost: string;
  currency: 'EUR';
  averagePricePerKwh: string | null;
  averageDailyKwh: number;
  daysWithReadings: number;
  intervals: number;
  expectedIntervals: number;
  unpricedIntervals: number;
  /**
   * The reading intervals (minutes) of the month's days with readings, ascending: two or more when the
   * meter's resolution changed inside the month (each day is billed at its own). Absent in invoices
   * projected before it was kept.
   */
  intervalMinutes?: number[];
  status: InvoiceStatus;
  /**
   * Energy the meter exported in the month (its EXPORT registers), and its value at the market price:
   * exact femto-euros, and rounded once to cents. Absent in invoices projected before export was kept: 0.
   */
  exportKwhMicro?: number;
  exportCostFemto?: string;
  exportValue?: string;
  /** The month's readings by quality mark (`encodeMarkCounts`), and how many are estimated or substituted. */
  qualityMarks?: string;
  estimatedIntervals?: number;
}

export const invoiceId = (meter: string, month: string): string => `${month}:${meter}`;

/**
 * The invoice of one meter for one month from its daily rows. `expectedIntervals` counts every interval
 * of the month (DST days included), so days without readings show as missing.
 */
export function computeInvoice(
  meter: string,
  month: string,
  days: readonly DailyUsageDoc[],
  expectedIntervals: number,
  intervalMinutes: readonly number[] = [],
  exportDays: readonly DailyUsageDoc[] = [],
): InvoiceDoc {
  let total = 0;
  let intervals = 0;
  let priced = 0;
  let pricedKwh = 0;
  let cost = 0n;
  let daysWithReadings = 0;
  for (const day of days) {
    total += day.totalKwhMicro;
    intervals += day.intervals;
    priced += day.pricedIntervals;
    pricedKwh += day.pricedKwhMicro;
    cost += BigInt(day.costFemto);
    if (day.intervals > 0) daysWithReadings += 1;
  }
  const marks = new Map<string, number>();
  for (const day of days)
    for (const { mark, readings } of decodeMarkCounts(day.qualityMarks))
      marks.set(mark, (marks.get(mark) ?? 0) + readings);
  const estimated = [...marks].reduce((sum, [mark, n]) => sum + (ESTIMATED_MARKS.includes(mark) ? n : 0), 0);
  let exportKwh = 0;
  let exportValue = 0n;
  for (const day of exportDays) {
    exportKwh += day.totalKwhMicro;
    exportValue += BigInt(day.costFemto);
  }
  const unpriced = intervals - priced;
  const status: InvoiceStatus =
    intervals < expectedIntervals ? 'MISSING_READINGS' : unpriced > 0 ? 'MISSING_PRICES' : 'COMPLETE';
  return {
    id: invoiceId(meter, month),
    meter,
    month,
    totalKwhMicro: total,
    costFemto: cost.toString(),
    energyCost: formatEuros(cost),
    currency: 'EUR',
    averagePricePerKwh: formatEurPerKwh(cost, pricedKwh),
    averageDailyKwh: daysWithReadings === 0 ? 0 : total / 1e6 / daysWithReadings,
    daysWithReadings,
    intervals,
    expectedIntervals,
    unpricedIntervals: unpriced,
    intervalMinutes: [...new Set(intervalMinutes)].sort((a, b) => a - b),
    status,
    exportKwhMicro: exportKwh,
    exportCostFemto: exportValue.toString(),
    exportValue: formatEuros(exportValue),
    qualityMarks: encodeMarkCounts(marks),
    estimatedIntervals: estimated,
  };
}
