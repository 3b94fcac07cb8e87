/**
 * A kind's daily usage from its registers' days (B1 and B2 of a meter's export): energy and value add
 * up exactly; the intervals, smallest and largest reading are those of the registers summed slot by slot.
 */
import type { ChannelKind } from '../readings/channels';
import type { DailyUsageDoc } from './daily-usage';
import { sumRegisters, totalsOf, type MeterDayRow } from './meter-day';
import { seriesKey } from './series';

export function kindDays(meter: string, kind: ChannelKind, registers: readonly MeterDayRow[]): DailyUsageDoc[] {
  const byDate = new Map<string, MeterDayRow[]>();
  for (const day of registers) byDate.set(day.date, [...(byDate.get(day.date) ?? []), day]);
  return [...byDate]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([date, days]) => {
      // The summed slots' intervals, extremes and marks, as a billed day counts them (unpriced here: the
      // registers' own costs add up exactly).
      const slots = sumRegisters(days);
      const { minKwhMicro, maxKwhMicro, intervals, qualityMarks } = totalsOf(
        { meter, date },
        slots,
        new Float64Array(slots.values.length).fill(Number.NaN),
        0,
      );
      return {
        meter: seriesKey(meter, kind),
        date,
        totalKwhMicro: days.reduce((sum, d) => sum + d.totalKwhMicro, 0),
        minKwhMicro,
        maxKwhMicro,
        intervals,
        expectedIntervals: Math.max(...days.map((d) => d.expectedIntervals)),
        // Prices are per interval, the same for every register: the best-priced register says how many.
        pricedIntervals: Math.min(intervals, Math.max(...days.map((d) => d.pricedIntervals))),
        pricedKwhMicro: days.reduce((sum, d) => sum + d.pricedKwhMicro, 0),
        costFemto: days.reduce((sum, d) => sum + BigInt(d.costFemto), 0n).toString(),
        qualityMarks,
      };
    });
}
