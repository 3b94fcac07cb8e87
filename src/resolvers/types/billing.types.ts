import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { QualityMarkType } from './format.types';
import { ChannelKind } from './channel.types';
import { PageInfo } from './connection';

export enum InvoiceStatus {
  COMPLETE = 'COMPLETE',
  MISSING_READINGS = 'MISSING_READINGS',
  MISSING_PRICES = 'MISSING_PRICES',
}
registerEnumType(InvoiceStatus, {
  name: 'InvoiceStatus',
  description:
    'MISSING_READINGS when intervals < expectedIntervals, else MISSING_PRICES when any interval is unpriced.',
});

@ObjectType('DailyUsage', { description: 'Usage of one meter on one local day (BILLING_TZ).' })
export class DailyUsageType {
  @Field(() => ID) meter!: string;
  @Field(() => String) date!: string;
  @Field(() => Float) totalKwh!: number;
  @Field(() => Float) minKwh!: number;
  @Field(() => Float) maxKwh!: number;
  @Field(() => Float) avgKwh!: number;
  @Field(() => Int) intervals!: number;
  @Field(() => Int, { description: '96 on a normal day at 15 minutes, 92 and 100 on DST days.' })
  expectedIntervals!: number;
  @Field(() => Boolean) complete!: boolean;
  @Field(() => String, { description: 'Energy cost of the priced intervals, EUR, two decimals.' })
  energyCost!: string;
  @Field(() => Int) unpricedIntervals!: number;
  @Field(() => ChannelKind, { description: 'The kind of the usage: IMPORT (billed) unless asked for another.' })
  kind!: ChannelKind;
  @Field(() => String, { nullable: true, description: "The channel asked for, or null for all the kind's channels." })
  channel!: string | null;
  @Field(() => String, { description: 'kWh, or kvarh for reactive kinds: totalKwh, minKwh and maxKwh are in it.' })
  unit!: string;
  @Field(() => [QualityMarkType], {
    description: "The day's readings by quality mark (NEM12's A, E, F, S; an export's status or quality marks).",
  })
  qualityMarks!: QualityMarkType[];
}

@ObjectType('MeterChannel', { description: 'A channel a meter has readings of.' })
export class MeterChannelType {
  @Field(() => String, {
    description: 'As the files name it: E1, B1, Export Wh Total, or the kind for a file that names none.',
  })
  channel!: string;
  @Field(() => ChannelKind) kind!: ChannelKind;
  @Field(() => String) unit!: string;
  @Field(() => [Int], { description: 'The intervals its days are kept at.' })
  intervalMinutes!: number[];
}

@ObjectType('BillingSettings', { description: 'What the service bills in: its days, its market, its currency.' })
export class BillingSettingsType {
  @Field(() => String, { description: 'The IANA time zone of billing days and months (BILLING_TZ).' })
  timeZone!: string;

  @Field(() => String, { description: 'The market whose day-ahead prices bill the readings (PRICE_AREA).' })
  market!: string;

  @Field(() => String)
  currency!: string;
}

@ObjectType('DailyTotals')
export class DailyTotalsType {
  @Field(() => String) date!: string;
  @Field(() => Int) meters!: number;
  @Field(() => Float) totalKwh!: number;
  @Field(() => Float) averageKwhPerMeter!: number;
}

@ObjectType('Invoice', { description: 'Energy of one meter for one calendar month in BILLING_TZ.' })
export class InvoiceType {
  @Field(() => ID) id!: string;
  @Field(() => ID) meter!: string;
  @Field(() => String) month!: string;
  @Field(() => Float) totalKwh!: number;
  @Field(() => String, { description: 'sum(kWh x EUR/MWh / 1000), exact, rounded half away from zero to cents once.' })
  energyCost!: string;
  @Field(() => String) currency!: string;
  @Field(() => String, { nullable: true, description: 'EUR per priced kWh, six decimals.' })
  averagePricePerKwh!: string | null;
  @Field(() => Float, { description: 'totalKwh / days that have readings.' })
  averageDailyKwh!: number;
  @Field(() => Int) intervals!: number;
  @Field(() => Int) expectedIntervals!: number;
  @Field(() => Int) unpricedIntervals!: number;
  @Field(() => [Int], {
    description:
      "The meter's reading intervals (minutes) on the month's days with readings: more than one when its " +
      'resolution changed inside the month, each day billed at its own.',
  })
  intervalMinutes!: number[];
  @Field(() => InvoiceStatus) status!: InvoiceStatus;
  @Field(() => Float, { description: 'Energy the meter exported in the month (its EXPORT channels), kWh.' })
  exportKwh!: number;
  @Field(() => String, {
    description: 'The exported energy valued at the market price, EUR, rounded once to cents (not part of energyCost).',
  })
  exportValue!: string;
  @Field(() => [QualityMarkType], { description: "The month's readings by quality mark." })
  qualityMarks!: QualityMarkType[];
  @Field(() => Int, {
    description: 'Intervals whose reading is estimated or substituted (marks E, S and F), not an actual reading.',
  })
  estimatedIntervals!: number;
}

@ObjectType('InvoiceEdge')
export class InvoiceEdge {
  @Field(() => String) cursor!: string;
  @Field(() => InvoiceType) node!: InvoiceType;
}

@ObjectType('InvoiceConnection')
export class InvoiceConnection {
  @Field(() => Int) totalCount!: number;
  @Field(() => [InvoiceEdge]) edges!: InvoiceEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType('MonthlyTotal')
export class MonthlyTotalType {
  @Field(() => String) month!: string;
  @Field(() => Float) totalKwh!: number;
  @Field(() => String) energyCost!: string;
}

@ObjectType('PricePoint')
export class PricePointType {
  @Field(() => String) start!: string;
  @Field(() => String) end!: string;
  @Field(() => Float) priceEurMwh!: number;
}

@ObjectType('PriceImportReceipt')
export class PriceImportReceiptType {
  @Field(() => Int, { description: 'Delivery days appended (new or changed).' }) days!: number;
  @Field(() => Int, { description: 'Price points in the appended days.' }) points!: number;
  @Field(() => Int, { description: 'Days whose prices were already published unchanged.' }) unchangedDays!: number;
  @Field(() => String) position!: string;
}

@ObjectType('ReplayReport')
export class ReplayReportType {
  @Field(() => [String]) projections!: string[];
  @Field(() => Int) events!: number;
  @Field(() => Int) millis!: number;
}

@ObjectType('PriceScrapeResult')
export class PriceScrapeResultType {
  @Field(() => String) date!: string;
  @Field(() => String) source!: string;
  @Field(() => Int, { description: 'Intervals the source published for the day.' }) points!: number;
  @Field(() => Boolean, { description: 'Whether every interval of the day has a price.' }) complete!: boolean;
  @Field(() => Boolean, { description: 'False when the day was already published with the same prices.' })
  appended!: boolean;
  @Field(() => String, { nullable: true }) position!: string | null;
}

@ObjectType('IntervalReading', { description: 'One billed reading of a meter-day, with its market price.' })
export class IntervalReadingType {
  @Field(() => String, { description: 'Interval start, UTC ISO-8601.' }) start!: string;
  @Field(() => Int) minutes!: number;
  @Field(() => Float) kwh!: number;
  @Field(() => Float, { nullable: true, description: 'EUR/MWh; null when the interval has no price.' })
  priceEurMwh!: number | null;
}
