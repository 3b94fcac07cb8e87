/**
 * The rows of a mapped format (`FormatPlan`): a long row (one reading, its columns named by the plan, its
 * channel from a column, an export's series or the format) and a WIDE row (one reading a time cell).
 * They go through the validator's checks and duplicate index, as base rows do.
 */
import { isReactiveUnit, unitOf, type EnergyUnit } from './format/request';
import type { LongPlan, WidePlan } from './format/planning';
import { energyToMicro } from './format/values';
import { isReactiveKind, kindOfSeries, type Channel } from './channels';
import { splitDecimalCommaHint } from './hints';
import type { RowOutcome, RowValidator } from './row-validator';
import { shorten } from './timestamp';
import type { RejectionReason } from './vocabulary';

/** What the channel of a long row is: a channel, a row to skip (a series that is not energy), or a reason. */
type RowChannel = { channel: Channel } | { skip: string } | { reason: RejectionReason };

export class MappedRows {
  /** Rows left out by series (an export's volts, amps, power...), by the series' name. */
  readonly skippedSeries = new Map<string, number>();
  /** Rows kept by series, by the series' name. */
  readonly keptSeries = new Map<string, number>();

  constructor(private readonly validator: RowValidator) {}

  /**
   * The readings of one record: none when the format's filter or the row's series leaves it out (null),
   * one for a long row, one per time cell for a WIDE row (a bad cell is rejected alone, its field the
   * cell's column).
   */
  validate(line: number, fields: readonly string[], plan: LongPlan | WidePlan): RowOutcome[] | null {
    return plan.kind === 'WIDE' ? this.validateWide(fields, plan, line) : this.validateLong(line, fields, plan);
  }

  private channelOf(fields: readonly string[], plan: LongPlan): RowChannel {
    const source = plan.channel;
    if (source.source === 'FIXED') return { channel: source.channel };
    const text = (fields[source.column.index] ?? '').trim();
    if (source.source === 'SERIES') {
      const kind = kindOfSeries(text);
      if (kind === null) return { skip: text };
      this.keptSeries.set(text, (this.keptSeries.get(text) ?? 0) + 1);
      return { channel: { id: text, kind } };
    }
    const channel = source.channelOf(text);
    if (channel !== null) return { channel };
    return {
      reason: {
        code: 'CHANNEL_INVALID',
        field: source.column.name,
        message:
          text === ''
            ? `${source.column.name} is empty; expected ${source.expected}`
            : `${source.column.name} '${shorten(text)}' is not ${source.expected}`,
      },
    };
  }

  private validateLong(line: number, fields: readonly string[], plan: LongPlan): RowOutcome[] | null {
    const v = this.validator;
    if (plan.filter !== null && (fields[plan.filter.column.index] ?? '').trim() !== plan.filter.value) return null;
    const rowChannel = this.channelOf(fields, plan);
    if ('skip' in rowChannel) {
      this.skippedSeries.set(rowChannel.skip, (this.skippedSeries.get(rowChannel.skip) ?? 0) + 1);
      return null;
    }
    if (plan.width !== null && fields.length !== plan.width) {
      return [
        {
          accepted: false,
          reasons: [
            {
              code: 'FIELD_COUNT',
              message: `expected ${plan.width} fields as in the header, found ${fields.length}${splitDecimalCommaHint(fields, plan.width)}`,
            },
          ],
        },
      ];
    }
    const reasons: RejectionReason[] = [];
    const channel = 'channel' in rowChannel ? rowChannel.channel : null;
    if ('reason' in rowChannel) reasons.push(rowChannel.reason);
    const text = (column: { index: number }) => (fields[column.index] ?? '').trim();
    const meter = v.checkMeter(text(plan.meter), reasons, plan.meter.name);
    let instant: number | null = null;
    const timeText = text(plan.timestamp);
    if (timeText === '') {
      reasons.push({
        code: 'TIMESTAMP_MISSING',
        field: plan.timestamp.name,
        message: `${plan.timestamp.name} is empty`,
      });
    } else {
      const parsed = plan.parseTime(timeText, v.clock);
      const at = parsed.ok ? parsed.instant : v.inFileOrder(meter, parsed.ambiguous, channel ?? undefined);
      if (at === null) reasons.push((parsed as { reason: RejectionReason }).reason);
      else {
        const start = plan.format.timestampMarks === 'END' ? at - v.gridMinutes * 60_000 : at;
        const off = v.offGrid(start, timeText, plan.timestamp.name);
        if (off !== null) reasons.push(off);
        else instant = start;
      }
    }
    let unit = plan.unit;
    if (plan.unitColumn !== null) {
      const named = unitOf(text(plan.unitColumn));
      if (named === null) {
        reasons.push({
          code: 'KWH_INVALID',
          field: plan.unitColumn.name,
          message: `${plan.unitColumn.name} '${shorten(text(plan.unitColumn))}' is not kWh, Wh, MWh, kvarh, varh or Mvarh`,
        });
      } else unit = named;
    }
    const unitProblem =
      channel === null || plan.unitColumn === null ? null : unitMismatch(unit, channel, plan.unitColumn.name);
    if (unitProblem !== null) reasons.push(unitProblem);
    const kwh = energyToMicro(
      text(plan.value),
      unit,
      plan.format.decimalComma,
      plan.value.name,
      v.rules.maxKwhPerReading,
    );
    if (!kwh.ok) reasons.push(kwh.reason);
    if (meter === null || instant === null || channel === null || !kwh.ok || reasons.length > 0)
      return [{ accepted: false, reasons }];
    if (plan.sequential) {
      const previous = v.claimsOf(meter, channel).lastInstant;
      if (instant < previous) {
        return [
          {
            accepted: false,
            reasons: [
              {
                code: 'TIMESTAMP_OUT_OF_SEQUENCE',
                field: plan.timestamp.name,
                message: `'${shorten(timeText)}' goes back ${describeGap(previous - instant)} before meter ${meter}'s previous reading (${new Date(previous).toISOString()}); this export writes a meter's readings in time order, so the date is wrong (a year jump?)`,
              },
            ],
          },
        ];
      }
    }
    const outcome = v.claimed(meter, instant, line, kwh, channel);
    if (outcome.accepted && plan.quality !== null) outcome.reading.quality = text(plan.quality);
    return [outcome];
  }

  private validateWide(fields: readonly string[], plan: WidePlan, line: number): RowOutcome[] {
    const v = this.validator;
    const reasons: RejectionReason[] = [];
    const meter = v.checkMeter((fields[plan.meter.index] ?? '').trim(), reasons, plan.meter.name);
    const dateText = (fields[plan.date.index] ?? '').trim();
    const date = plan.parseDate(dateText);
    if (date === null) {
      reasons.push({
        code: dateText === '' ? 'TIMESTAMP_MISSING' : 'TIMESTAMP_INVALID',
        field: plan.date.name,
        message:
          dateText === ''
            ? `${plan.date.name} is empty`
            : `${plan.date.name} '${shorten(dateText)}' is not a date of the pattern '${plan.format.timestampFormat}'`,
      });
    }
    if (meter === null || date === null) return [{ accepted: false, reasons }];
    const { year, month, day } = date;
    const outcomes: RowOutcome[] = [];
    for (const time of plan.times) {
      const cell = (fields[time.index] ?? '').trim();
      const local = v.clock.toInstant({
        year,
        month,
        day,
        hour: Math.floor(time.minutes / 60),
        minute: time.minutes % 60,
        second: 0,
        millisecond: 0,
      });
      if (local.kind === 'nonexistent') {
        // A sheet has a column for every time of a normal day; the skipped hour's cells stay empty.
        if (cell !== '') {
          outcomes.push({
            accepted: false,
            reasons: [
              {
                code: 'TIMESTAMP_NONEXISTENT',
                field: time.name,
                message: `${dateText} ${time.name} does not exist in ${v.clock.timeZone} (clocks moved forward), yet has a value`,
              },
            ],
          });
        }
        continue;
      }
      const instant = local.kind === 'ok' ? local.instant : time.occurrence === 0 ? local.earlier : local.later;
      const off = v.offGrid(instant, `${dateText} ${time.name}`, time.name);
      if (off !== null) {
        outcomes.push({ accepted: false, reasons: [off] });
        continue;
      }
      const kwh = energyToMicro(cell, plan.unit, plan.format.decimalComma, time.name, v.rules.maxKwhPerReading);
      outcomes.push(
        kwh.ok ? v.claimed(meter, instant, line, kwh, plan.channel) : { accepted: false, reasons: [kwh.reason] },
      );
    }
    return outcomes;
  }
}

/**
 * A unit of the other family than the channel's kind (kvarh on an energy channel, kWh on a reactive
 * one), as the row's unit column names it; a fixed unit applies to either (its power of ten).
 */
export function unitMismatch(unit: EnergyUnit, channel: Channel, field: string): RejectionReason | null {
  const reactiveChannel = isReactiveKind(channel.kind);
  if (isReactiveUnit(unit) === reactiveChannel) return null;
  return {
    code: 'KWH_INVALID',
    field,
    message: `unit ${unit} is ${reactiveChannel ? 'active' : 'reactive'} energy, but channel ${channel.id} records ${channel.kind} (${reactiveChannel ? 'kvarh' : 'kWh'})`,
  };
}

function describeGap(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 2 ? `${Math.round(days)} days` : `${Math.round(ms / 60_000)} minutes`;
}
