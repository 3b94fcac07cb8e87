/**
 * A kind's daily usage from its registers' days (B1 and B2 of a meter's export): energy and value add
 * up exactly; the intervals, smallest and largest reading are those of the registers summed slot by slot.
 */
import type { ChannelKind } from '../readings/channels';
import type { DailyUsageDoc } from './daily-usage';
import { encodeMarkCounts, markOf, sumRegisters, type MeterDayRow } from './meter-day';
import { seriesKey } from './series';

export function kindDays(meter: string, kind: ChannelKind, registers: readonly MeterDayRow[]): DailyUsageDoc[] {
  const byDate = new Map<string, MeterDayRow[]>();
  for (const day of registers) byDate.set(day.date, [...(byDate.get(day.date) ?? []), day]);
  return [...byDate]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([date, days]) => {
      const slots = sumRegisters(days);
      let intervals = 0;
      let min = Number.POSITIVE_INFINITY;
      let max = 0;
      const marks = new Map<string, number>();
      for (let i = 0; i < slots.values.length; i++) {
        if (slots.present[i] !== 1) continue;
        intervals += 1;
        const mark = markOf(slots, i);
        if (mark !== '') marks.set(mark, (marks.get(mark) ?? 0) + 1);
        min = Math.min(min, slots.values[i]!);
        max = Math.max(max, slots.values[i]!);
      }
      return {
        meter: seriesKey(meter, kind),
        date,
        totalKwhMicro: days.reduce((sum, d) => sum + d.totalKwhMicro, 0),
        minKwhMicro: intervals === 0 ? 0 : min,
        maxKwhMicro: max,
        intervals,
        expectedIntervals: Math.max(...days.map((d) => d.expectedIntervals)),
        // Prices are per interval, the same for every register: the best-priced register says how many.
        pricedIntervals: Math.min(intervals, Math.max(...days.map((d) => d.pricedIntervals))),
        pricedKwhMicro: days.reduce((sum, d) => sum + d.pricedKwhMicro, 0),
        costFemto: days.reduce((sum, d) => sum + BigInt(d.costFemto), 0n).toString(),
        qualityMarks: encodeMarkCounts(marks),
      };
    });
}
