/**
 * Usage by channel: a meter's daily usage of one kind (or one register of it), and the channels it has.
 * The billed import is the meter's own series; a register or another kind is read from its series
 * (`domain/billing/series.ts`), a kind's registers summed day by day.
 */
import type { DailyUsageDoc } from '../domain/billing/daily-usage';
import { kindDays } from '../domain/billing/kind-days';
import { registerPrefix, seriesKey, seriesOf } from '../domain/billing/series';
import { DEFAULT_CHANNEL, unitOfKind, type ChannelKind } from '../domain/readings/channels';
import type { BillingQueries } from '../ports/billing-read-model';

export interface MeterChannel {
  channel: string;
  kind: ChannelKind;
  unit: 'kWh' | 'kvarh';
  intervalMinutes: number[];
}

export class ChannelUsage {
  constructor(private readonly billing: Pick<BillingQueries, 'dailyUsage' | 'seriesDays' | 'seriesOfMeter'>) {}

  /** A kind's daily totals (all its registers), or one register's when `channel` names it. */
  async dailyUsage(
    meter: string,
    fromDate: string,
    toDate: string,
    kind: ChannelKind,
    channel: string | null,
  ): Promise<DailyUsageDoc[]> {
    if (kind === 'IMPORT' && (channel === null || channel === DEFAULT_CHANNEL.id))
      return this.billing.dailyUsage(meter, fromDate, toDate);
    if (channel !== null) return this.billing.dailyUsage(seriesKey(meter, kind, channel), fromDate, toDate);
    return kindDays(meter, kind, await this.billing.seriesDays(registerPrefix(meter, kind), fromDate, toDate));
  }

  /**
   * The channels a meter has billed days of: each register, and the default import channel of files
   * that named none (the billed import is otherwise the sum of the import registers, not a channel).
   */
  async channels(meter: string): Promise<MeterChannel[]> {
    const series = await this.billing.seriesOfMeter(meter);
    const registers = series.map((s) => ({ ...seriesOf(s.key), intervalMinutes: s.intervalMinutes }));
    const importRegisters = registers.some((r) => r.kind === 'IMPORT' && r.channel !== null);
    return registers
      .filter((r) => r.channel !== null || (r.kind === 'IMPORT' && !importRegisters))
      .map((r) => ({
        channel: r.channel ?? DEFAULT_CHANNEL.id,
        kind: r.kind,
        unit: unitOfKind(r.kind),
        intervalMinutes: r.intervalMinutes,
      }));
  }
}
