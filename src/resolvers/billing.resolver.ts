import { GraphQLError } from 'graphql';
import type { FileUpload } from 'graphql-upload-minimal';
import { UploadScalar } from './upload-scalar';
import { Arg, Args, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { daysInRange, localDay, MAX_RANGE_DAYS, parseLocalDate, parseMonth } from '../domain/billing/calendar';
import { intervalsWithPrices } from '../domain/billing/meter-day';
import { kwh } from '../views/billing';
import { ChannelKind } from './types/channel.types';
import { dailyUsageDto, invoiceDto } from './billing-dto';
import type { GraphQLContext } from './context';
import { connectionOf } from './types/connection';
import {
  DailyTotalsType,
  DailyUsageType,
  IntervalReadingType,
  InvoiceConnection,
  InvoiceType,
  BillingSettingsType,
  MeterChannelType,
  MonthlyTotalType,
  PriceImportReceiptType,
  PricePointType,
  PriceScrapeResultType,
  ReplayReportType,
} from './types/billing.types';
import { badInput, consistentAt, pageSize, PageArgs } from './arguments';
import { openUploadedFile } from './uploaded-file';

function requireDate(value: string, argumentName: string): string {
  if (parseLocalDate(value) === null)
    throw badInput(`${argumentName} '${value}' must be a date YYYY-MM-DD`, argumentName);
  return value;
}

function requireRange(from: string, to: string): void {
  requireDate(from, 'from');
  requireDate(to, 'to');
  const days = daysInRange(from, to);
  if (days === 0) throw badInput(`from ${from} is after to ${to}`, 'to');
  if (days > MAX_RANGE_DAYS) throw badInput(`at most ${MAX_RANGE_DAYS} days per query, asked for ${days}`, 'to');
}

@Resolver()
export class BillingResolver {
  @Authorized()
  @Query(() => [DailyUsageType], { description: 'Usage of a meter per local day, from and to inclusive.' })
  async dailyUsage(
    @Arg('meter', () => ID) meter: string,
    @Arg('from', () => String) from: string,
    @Arg('to', () => String) to: string,
    @Arg('atLeast', () => String, { nullable: true }) atLeast: string | null | undefined,
    @Arg('kind', () => ChannelKind, {
      defaultValue: ChannelKind.IMPORT,
      description: 'The kind of energy: IMPORT (what is billed) by default; EXPORT and the reactive kinds too.',
    })
    kind: ChannelKind,
    @Arg('channel', () => String, {
      nullable: true,
      description: 'One channel of the kind (E1, B1, Export Wh Total...) instead of all of them summed.',
    })
    channel: string | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<DailyUsageType[]> {
    requireRange(from, to);
    await consistentAt(context, atLeast);
    return (await context.services.channelUsage.dailyUsage(meter, from, to, kind, channel ?? null)).map(dailyUsageDto);
  }

  @Authorized()
  @Query(() => [MeterChannelType], { description: 'The channels a meter has readings of, with their kinds.' })
  async channels(
    @Arg('meter', () => ID) meter: string,
    @Arg('atLeast', () => String, { nullable: true }) atLeast: string | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<MeterChannelType[]> {
    await consistentAt(context, atLeast);
    return (await context.services.channelUsage.channels(meter)).map((c) => ({ ...c, kind: ChannelKind[c.kind] }));
  }

  @Authorized()
  @Query(() => BillingSettingsType, {
    description: "The billing time zone and market, so a client shows days and charts in the service's zone.",
  })
  billingSettings(@Ctx() context: GraphQLContext): BillingSettingsType {
    const { clock, market } = context.services.billingSettings;
    return { timeZone: clock.timeZone, market, currency: 'EUR' };
  }

  @Authorized()
  @Query(() => [IntervalReadingType], {
    description: "A meter's billed readings of one local day (its profile), with the market price of each interval.",
  })
  async meterDayProfile(
    @Arg('meter', () => ID) meter: string,
    @Arg('date', () => String) date: string,
    @Ctx() context: GraphQLContext,
  ): Promise<IntervalReadingType[]> {
    requireDate(date, 'date');
    const [slots] = await context.services.billing.daySlots(meter, date, date);
    if (slots === undefined) return [];
    const day = localDay(context.services.billingSettings.clock, date);
    const prices = await context.services.billing.prices(context.services.billingSettings.market, day.start, day.end);
    const minutes = slots.intervalMinutes;
    return intervalsWithPrices(slots, new Map(prices.map((p) => [p.start, p]))).map((interval) => ({
      start: new Date(interval.start).toISOString(),
      minutes,
      kwh: interval.kwhMicro / 1_000_000,
      priceEurMwh: interval.priceMicro === null ? null : interval.priceMicro / 1_000_000,
    }));
  }

  @Authorized()
  @Query(() => DailyTotalsType, { nullable: true, description: 'Sum over all meters of one local day.' })
  async dailyTotals(
    @Arg('date', () => String) date: string,
    @Arg('atLeast', () => String, { nullable: true }) atLeast: string | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<DailyTotalsType | null> {
    requireDate(date, 'date');
    await consistentAt(context, atLeast);
    const row = await context.services.billing.dailyTotals(date);
    if (row === null) return null;
    return {
      date,
      meters: row.meters,
      totalKwh: kwh(row.totalKwhMicro),
      averageKwhPerMeter: kwh(row.totalKwhMicro) / row.meters,
    };
  }

  @Authorized()
  @Query(() => [ID], { description: 'Meters that have readings.' })
  meters(@Ctx() context: GraphQLContext): Promise<string[]> {
    return context.services.billing.meters();
  }

  @Authorized()
  @Query(() => [PricePointType], { description: 'Market prices of the local days from and to, inclusive.' })
  async prices(
    @Arg('from', () => String) from: string,
    @Arg('to', () => String) to: string,
    @Arg('atLeast', () => String, { nullable: true }) atLeast: string | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<PricePointType[]> {
    requireRange(from, to);
    await consistentAt(context, atLeast);
    const { clock, market } = context.services.billingSettings;
    const start = localDay(clock, from).start;
    const end = localDay(clock, to).end;
    const points = await context.services.billing.prices(market, start, end);
    return points
      .filter((p) => p.start >= start && p.start < end)
      .map((p) => ({
        start: new Date(p.start).toISOString(),
        end: new Date(p.end).toISOString(),
        priceEurMwh: p.priceMicro / 1e6,
      }));
  }

  @Authorized()
  @Query(() => InvoiceConnection, { description: 'Invoices of a month (YYYY-MM): one meter, or all meters paged.' })
  async invoices(
    @Arg('month', () => String) month: string,
    @Arg('meter', () => ID, { nullable: true }) meter: string | null | undefined,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Arg('atLeast', () => String, { nullable: true }) atLeast: string | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<InvoiceConnection> {
    if (parseMonth(month) === null) throw badInput(`month '${month}' must be YYYY-MM`, 'month');
    await consistentAt(context, atLeast);
    const page = await context.services.billing.invoices(month, meter ?? null, pageSize(first), after ?? null);
    return connectionOf(page, invoiceDto);
  }

  @Authorized()
  @Query(() => InvoiceType, { nullable: true })
  async invoice(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<InvoiceType | null> {
    const doc = await context.services.billing.invoice(id);
    return doc === null ? null : invoiceDto(doc);
  }

  @Authorized()
  @Query(() => [MonthlyTotalType], { description: 'Totals of the latest months that have an invoice, newest first.' })
  async invoiceSummary(
    @Arg('meter', () => ID) meter: string,
    @Arg('lastMonths', () => Int) lastMonths: number,
    @Ctx() context: GraphQLContext,
  ): Promise<MonthlyTotalType[]> {
    if (lastMonths < 1 || lastMonths > 120) throw badInput('lastMonths must be between 1 and 120', 'lastMonths');
    const invoices = await context.services.billing.latestInvoices(meter, lastMonths);
    return invoices.map((i) => ({ month: i.month, totalKwh: kwh(i.totalKwhMicro), energyCost: i.energyCost }));
  }

  @Authorized('ADMIN')
  @Mutation(() => PriceImportReceiptType, {
    description: 'Imports day-ahead prices from a CSV timestamp,price_eur_mwh (hourly or 15-minute).',
  })
  async importPrices(
    @Arg('file', () => UploadScalar) file: FileUpload,
    @Ctx() context: GraphQLContext,
  ): Promise<PriceImportReceiptType> {
    const upload = await openUploadedFile(file);
    return context.services.priceImport.importCsv(upload.content, `csv:${upload.filename}`);
  }

  @Authorized('ADMIN')
  @Mutation(() => PriceScrapeResultType, {
    description: 'Fetches one delivery day from PRICE_SOURCE now and publishes it when it changed.',
  })
  async scrapePrices(
    @Arg('date', () => String) date: string,
    @Ctx() context: GraphQLContext,
  ): Promise<PriceScrapeResultType> {
    requireDate(date, 'date');
    try {
      return await context.services.priceScrape.scrapeDay(date);
    } catch (error) {
      throw new GraphQLError(
        `price scrape for ${date} failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          extensions: { code: 'PRICE_SOURCE_FAILED' },
        },
      );
    }
  }

  @Authorized('ADMIN')
  @Mutation(() => ReplayReportType, {
    description: 'Rebuilds read models from position zero into fresh tables and switches over when caught up.',
  })
  replayProjections(
    @Arg('names', () => [String], { nullable: true }) names: string[] | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<ReplayReportType> {
    return context.services.projections.rebuild(names ?? null);
  }
}
