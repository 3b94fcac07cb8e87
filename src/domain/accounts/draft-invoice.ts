/**
 * The draft invoice of an account for a month, from its meters' billed days: pure and exact. Lines per
 * meter and tariff period (energy, margin, standing charge), each rounded once to cents half away from
 * zero; VAT on the sum of the lines, rounded once; total = lines + VAT (EN 16931's rule).
 *
 * Scales: energy in micro-kWh, prices in micro-EUR/MWh, a factor in millionths. kWh x EUR/MWh / 1000 is
 * femto-euros from the two micro integers (see billing/money.ts); times a factor in millionths it is
 * 1e-21 EUR ("zepto"), which is where energy amounts are summed before rounding.
 */
import type { DailyUsageDoc } from '../billing/daily-usage';
import { type AccountDoc, tariffOn } from './account';
import { divideRounded, formatCents, formatScaled, normalizeDecimal, parseMicro } from './decimal';
import type { IssuedDocumentData, IssuedLine, IssuedParties, TariffTerms, TimeOfUseRate } from './events';
import type { BillingDetails } from './parties';
import type { SupplierDetails } from './supplier';
import { WEEKDAYS } from './events';

export type DraftStatus = 'COMPLETE' | 'MISSING_READINGS' | 'MISSING_PRICES';

export interface DraftLine {
  meter: string;
  kind: IssuedLine['kind'];
  description: string;
  quantity: string;
  unit: 'kWh' | 'day';
  unitPrice: string;
  cents: bigint;
}

export interface DraftInvoice {
  accountId: string;
  accountName: string;
  /** The account's billing details: the buyer an invoice issued from this draft names. */
  billing: BillingDetails | null;
  month: string;
  currency: 'EUR';
  vatRate: string;
  lines: DraftLine[];
  subtotalCents: bigint;
  vatCents: bigint;
  totalCents: bigint;
  status: DraftStatus;
  meters: Array<{ meter: string; kwhMicro: bigint; days: number }>;
  /** Assigned meter-days without complete readings, and reading intervals without a market price. */
  missingDays: number;
  unpricedIntervals: number;
}

/** One reading interval's start, energy and market price (null: unpriced), for floors, caps and time-of-use rates. */
export interface IntervalFigures {
  start: number;
  kwhMicro: number;
  priceMicro: number | null;
}

export interface DraftSources {
  /** The month's local dates, in order. */
  dates: readonly string[];
  /** A meter's billed days in the month, by date. */
  days(meter: string): ReadonlyMap<string, DailyUsageDoc>;
  /** A meter-day's intervals: asked only for days under a tariff with a floor, a cap or time-of-use rates. */
  intervals(meter: string, date: string): readonly IntervalFigures[];
  /** An instant's local weekday (1 Monday ... 7 Sunday) and minutes since local midnight (BILLING_TZ's clock). */
  localTime(instant: number): { weekday: number; minutes: number };
  /** A meter's exported days in the month (all its export channels), by date, valued at the market price. */
  exportDays(meter: string): ReadonlyMap<string, DailyUsageDoc>;
}

const ZEPTO_PER_CENT = 10n ** 19n;
const FEMTO_PER_CENT = 10n ** 13n;
const MICRO_PER_CENT = 10n ** 4n;

function kwh(micro: bigint): string {
  return normalizeDecimal(micro);
}

/** EUR per kWh with 6 places from an amount in zepto-euros over micro-kWh. */
function perKwh(zepto: bigint, kwhMicro: bigint): string {
  return kwhMicro === 0n ? '0.000000' : formatScaled(divideRounded(zepto, kwhMicro * 1_000_000_000n), 6);
}

function range(dates: readonly string[]): string {
  return dates.length === 1 ? dates[0]! : `${dates[0]}..${dates[dates.length - 1]}`;
}

interface Segment {
  meter: string;
  tariff: TariffTerms;
  dates: string[];
}

/** The (meter, tariff) periods of the month: consecutive assigned days under one tariff. */
function segments(account: AccountDoc, dates: readonly string[]): Segment[] {
  const result: Segment[] = [];
  for (const assignment of account.meters) {
    let current: Segment | null = null;
    for (const date of dates) {
      if (date < assignment.from || (assignment.to !== null && date > assignment.to)) continue;
      const tariff = tariffOn(account, date);
      if (current === null || current.tariff !== tariff) {
        current = { meter: assignment.meter, tariff, dates: [] };
        result.push(current);
      }
      current.dates.push(date);
    }
  }
  return result;
}

/** A time-of-use rate's energy in a segment (or the tariff's own price, for intervals no rate holds). */
interface RateFigures {
  name: string | null;
  unitPriceEurMwh: string;
  kwhMicro: bigint;
  zepto: bigint;
}

interface SegmentFigures {
  /** FIXED with time-of-use rates: the energy of each rate used, in the tariff's order, then the base price. */
  rates: RateFigures[] | null;
  /** Exported energy of the segment, and its credit in zepto-euros (positive: owed to the customer). */
  exportKwhMicro: bigint;
  exportZepto: bigint;
  kwhMicro: bigint;
  /** Energy at the tariff's energy price (market x factor, floored/capped less the margin; or the fixed price). */
  energyZepto: bigint;
  missingDays: number;
  unpricedIntervals: number;
}

function figures(segment: Segment, sources: DraftSources): SegmentFigures {
  const days = sources.days(segment.meter);
  const { tariff } = segment;
  let kwhMicro = 0n;
  let energyZepto = 0n;
  let missingDays = 0;
  let unpricedIntervals = 0;
  const limited = tariff.kind === 'DYNAMIC' && (tariff.floorEurMwh !== null || tariff.capEurMwh !== null);
  const rates =
    tariff.kind === 'FIXED' && tariff.rates !== undefined && tariff.rates.length > 0 ? rateFiguresOf(tariff) : null;
  for (const date of segment.dates) {
    const day = days.get(date);
    if (day === undefined || day.intervals < day.expectedIntervals) missingDays += 1;
    if (day === undefined) continue;
    kwhMicro += BigInt(day.totalKwhMicro);
    if (tariff.kind === 'FIXED') {
      if (rates === null) {
        energyZepto += BigInt(day.totalKwhMicro) * parseMicro(tariff.unitPriceEurMwh)! * 1_000_000n;
        continue;
      }
      // Each interval at the first rate whose days and window hold its start (local clock time), else the base.
      for (const interval of sources.intervals(segment.meter, date)) {
        const { weekday, minutes } = sources.localTime(interval.start);
        const at = tariff.rates!.findIndex((rate) => holds(rate, weekday, minutes));
        const rate = rates[at < 0 ? rates.length - 1 : at]!;
        const kwh = BigInt(interval.kwhMicro);
        const zepto = kwh * parseMicro(rate.unitPriceEurMwh)! * 1_000_000n;
        rate.kwhMicro += kwh;
        rate.zepto += zepto;
        energyZepto += zepto;
      }
      continue;
    }
    unpricedIntervals += day.intervals - day.pricedIntervals;
    const factor = parseMicro(tariff.factor)!;
    if (!limited) {
      energyZepto += BigInt(day.costFemto) * factor;
      continue;
    }
    // Floor and cap bound the unit price (market x factor + margin) interval by interval; the margin line
    // stays as it is, so the energy line holds the bounded price less the margin.
    const margin = parseMicro(tariff.marginEurMwh)! * 1_000_000n;
    const floor = tariff.floorEurMwh === null ? null : parseMicro(tariff.floorEurMwh)! * 1_000_000n;
    const cap = tariff.capEurMwh === null ? null : parseMicro(tariff.capEurMwh)! * 1_000_000n;
    for (const interval of sources.intervals(segment.meter, date)) {
      if (interval.priceMicro === null) continue;
      let unit = BigInt(interval.priceMicro) * factor + margin;
      if (floor !== null && unit < floor) unit = floor;
      if (cap !== null && unit > cap) unit = cap;
      energyZepto += BigInt(interval.kwhMicro) * (unit - margin);
    }
  }
  return { kwhMicro, energyZepto, missingDays, unpricedIntervals, rates, ...exportCredit(segment, sources) };
}

/** Empty figures for each rate of a FIXED tariff, and for its base price last. */
function rateFiguresOf(tariff: Extract<TariffTerms, { kind: 'FIXED' }>): RateFigures[] {
  return [
    ...tariff.rates!.map((rate) => ({
      name: rate.name,
      unitPriceEurMwh: rate.unitPriceEurMwh,
      kwhMicro: 0n,
      zepto: 0n,
    })),
    { name: null, unitPriceEurMwh: tariff.unitPriceEurMwh, kwhMicro: 0n, zepto: 0n },
  ];
}

const minutesOf = (clock: string): number => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** Whether a rate holds an interval starting on this local weekday, this many minutes after local midnight. */
function holds(rate: TimeOfUseRate, weekday: number, minutes: number): boolean {
  if (!rate.days.includes(WEEKDAYS[weekday - 1]!)) return false;
  const from = minutesOf(rate.from);
  const to = minutesOf(rate.to);
  return from < to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
}

/** The export of a segment and what its tariff credits for it: a feed-in price, or market x factor less a margin. */
function exportCredit(segment: Segment, sources: DraftSources): { exportKwhMicro: bigint; exportZepto: bigint } {
  const terms = segment.tariff.export;
  if (terms == null) return { exportKwhMicro: 0n, exportZepto: 0n };
  const days = sources.exportDays(segment.meter);
  let exportKwhMicro = 0n;
  let exportZepto = 0n;
  for (const date of segment.dates) {
    const day = days.get(date);
    if (day === undefined) continue;
    const kwhMicro = BigInt(day.totalKwhMicro);
    exportKwhMicro += kwhMicro;
    exportZepto +=
      terms.kind === 'FIXED'
        ? kwhMicro * parseMicro(terms.unitPriceEurMwh)! * 1_000_000n
        : BigInt(day.costFemto) * parseMicro(terms.factor)! - kwhMicro * parseMicro(terms.marginEurMwh)! * 1_000_000n;
  }
  return { exportKwhMicro, exportZepto };
}

function describeExport(terms: NonNullable<TariffTerms['export']>): string {
  return terms.kind === 'FIXED'
    ? `at ${terms.unitPriceEurMwh} EUR/MWh`
    : `at market price x ${terms.factor}${parseMicro(terms.marginEurMwh)! === 0n ? '' : ` less ${terms.marginEurMwh} EUR/MWh`}`;
}

function describeTariff(tariff: TariffTerms): string {
  if (tariff.kind === 'FIXED') return `at ${tariff.unitPriceEurMwh} EUR/MWh`;
  const bounds = [
    tariff.floorEurMwh === null ? null : `floor ${tariff.floorEurMwh}`,
    tariff.capEurMwh === null ? null : `cap ${tariff.capEurMwh}`,
  ].filter((b) => b !== null);
  return `at market price x ${tariff.factor}${bounds.length === 0 ? '' : ` (${bounds.join(', ')} EUR/MWh incl. margin)`}`;
}

/** The draft of one account for one month; null when none of its meters is assigned on a day of it. */
export function draftInvoice(account: AccountDoc, month: string, sources: DraftSources): DraftInvoice | null {
  const periods = segments(account, sources.dates);
  if (periods.length === 0) return null;
  const lines: DraftLine[] = [];
  const meters = new Map<string, { meter: string; kwhMicro: bigint; days: number }>();
  let missingDays = 0;
  let unpricedIntervals = 0;
  let dynamic = false;
  for (const segment of periods) {
    const { tariff, meter, dates } = segment;
    const f = figures(segment, sources);
    missingDays += f.missingDays;
    unpricedIntervals += f.unpricedIntervals;
    dynamic ||= tariff.kind === 'DYNAMIC';
    const perMeter = meters.get(meter) ?? { meter, kwhMicro: 0n, days: 0 };
    perMeter.kwhMicro += f.kwhMicro;
    perMeter.days += dates.length;
    meters.set(meter, perMeter);
    if (f.rates === null) {
      lines.push({
        meter,
        kind: 'ENERGY',
        description: `Energy ${describeTariff(tariff)}, ${range(dates)}`,
        quantity: kwh(f.kwhMicro),
        unit: 'kWh',
        unitPrice: perKwh(f.energyZepto, f.kwhMicro),
        cents: divideRounded(f.energyZepto, ZEPTO_PER_CENT),
      });
    } else {
      // One ENERGY line per time-of-use rate used (and the base price), each rounded once.
      for (const rate of f.rates.filter((r) => r.kwhMicro > 0n)) {
        lines.push({
          meter,
          kind: 'ENERGY',
          description: `Energy ${rate.name ?? 'other hours'} at ${rate.unitPriceEurMwh} EUR/MWh, ${range(dates)}`,
          quantity: kwh(rate.kwhMicro),
          unit: 'kWh',
          unitPrice: perKwh(rate.zepto, rate.kwhMicro),
          cents: divideRounded(rate.zepto, ZEPTO_PER_CENT),
        });
      }
    }
    if (tariff.kind === 'DYNAMIC' && parseMicro(tariff.marginEurMwh)! !== 0n) {
      const margin = parseMicro(tariff.marginEurMwh)!;
      lines.push({
        meter,
        kind: 'MARGIN',
        description: `Margin ${tariff.marginEurMwh} EUR/MWh, ${range(dates)}`,
        quantity: kwh(f.kwhMicro),
        unit: 'kWh',
        unitPrice: formatScaled(divideRounded(margin, 1000n), 6),
        cents: divideRounded(f.kwhMicro * margin, FEMTO_PER_CENT),
      });
    }
    // Exported energy is credited: a negative amount, rounded once like every line.
    if (tariff.export != null && f.exportKwhMicro > 0n) {
      lines.push({
        meter,
        kind: 'EXPORT',
        description: `Export credited ${describeExport(tariff.export)}, ${range(dates)}`,
        quantity: kwh(f.exportKwhMicro),
        unit: 'kWh',
        unitPrice: perKwh(-f.exportZepto, f.exportKwhMicro),
        cents: -divideRounded(f.exportZepto, ZEPTO_PER_CENT),
      });
    }
    const standing = parseMicro(tariff.standingChargePerDay)!;
    if (standing !== 0n) {
      lines.push({
        meter,
        kind: 'STANDING_CHARGE',
        description: `Standing charge, ${range(dates)}`,
        quantity: String(dates.length),
        unit: 'day',
        unitPrice: tariff.standingChargePerDay,
        cents: divideRounded(BigInt(dates.length) * standing, MICRO_PER_CENT),
      });
    }
  }
  const subtotalCents = lines.reduce((sum, line) => sum + line.cents, 0n);
  const vatCents = divideRounded(subtotalCents * parseMicro(account.vatRate)!, 1_000_000n);
  const status: DraftStatus =
    missingDays > 0 ? 'MISSING_READINGS' : dynamic && unpricedIntervals > 0 ? 'MISSING_PRICES' : 'COMPLETE';
  return {
    accountId: account.id,
    accountName: account.name,
    billing: account.billing,
    month,
    currency: account.currency,
    vatRate: account.vatRate,
    lines,
    subtotalCents,
    vatCents,
    totalCents: subtotalCents + vatCents,
    status,
    meters: [...meters.values()].sort((a, b) => (a.meter < b.meter ? -1 : 1)),
    missingDays,
    unpricedIntervals,
  };
}

/** A draft's lines, totals and meters as an issued document writes them (amounts with two places). */
export function draftFigures(
  draft: DraftInvoice,
): Pick<IssuedDocumentData, 'lines' | 'subtotal' | 'vat' | 'total' | 'meters'> {
  return {
    lines: draft.lines.map((line) => ({
      meter: line.meter,
      kind: line.kind,
      description: line.description,
      quantity: line.quantity,
      unit: line.unit,
      unitPrice: line.unitPrice,
      amount: formatCents(line.cents),
    })),
    subtotal: formatCents(draft.subtotalCents),
    vat: formatCents(draft.vatCents),
    total: formatCents(draft.totalCents),
    meters: draft.meters.map((m) => ({ meter: m.meter, kwh: kwh(m.kwhMicro), days: m.days })),
  };
}

/** The seller (the supplier's details when issued, null if never set) and the buyer a draft's invoice names. */
export function partiesOf(draft: DraftInvoice, seller: SupplierDetails | null): IssuedParties {
  return { seller, buyer: { name: draft.accountName, billing: draft.billing } };
}

/** The frozen content of an invoice issued from a draft. */
export function issuedContent(
  draft: DraftInvoice,
  number: string,
  issuedAt: string,
  seller: SupplierDetails | null,
): IssuedDocumentData {
  return {
    number,
    accountId: draft.accountId,
    accountName: draft.accountName,
    month: draft.month,
    currency: draft.currency,
    vatRate: draft.vatRate,
    ...draftFigures(draft),
    draftStatus: draft.status,
    issuedAt,
    parties: partiesOf(draft, seller),
  };
}

/**
 * A credit note's content: the invoice's lines and totals negated, under its own number, naming the
 * parties as they are now (those of the invoice issued with it).
 */
export function creditContent(
  invoice: IssuedDocumentData,
  number: string,
  issuedAt: string,
  parties: IssuedParties,
): IssuedDocumentData {
  const negate = (amount: string): string => formatCents(-toCents(amount));
  return {
    ...invoice,
    parties,
    number,
    lines: invoice.lines.map((line) => ({
      ...line,
      amount: negate(line.amount),
      description: `Credit: ${line.description}`,
    })),
    subtotal: negate(invoice.subtotal),
    vat: negate(invoice.vat),
    total: negate(invoice.total),
    issuedAt,
  };
}

/** Cents of an amount written with two places. */
export function toCents(amount: string): bigint {
  const micro = parseMicro(amount);
  if (micro === null) throw new Error(`not an amount: ${amount}`);
  return micro / 10_000n;
}
