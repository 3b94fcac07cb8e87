import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from './connection';
import { BillingDetailsInput, BillingDetailsType, InvoiceBuyerType, SupplierType } from './parties.types';

export enum TariffKind {
  DYNAMIC = 'DYNAMIC',
  FIXED = 'FIXED',
}
registerEnumType(TariffKind, {
  name: 'TariffKind',
  description: 'DYNAMIC: market price x factor + margin (optionally floored/capped); FIXED: one unit price.',
});

export enum Weekday {
  MONDAY = 'MONDAY',
  TUESDAY = 'TUESDAY',
  WEDNESDAY = 'WEDNESDAY',
  THURSDAY = 'THURSDAY',
  FRIDAY = 'FRIDAY',
  SATURDAY = 'SATURDAY',
  SUNDAY = 'SUNDAY',
}
registerEnumType(Weekday, { name: 'Weekday' });

export enum EInvoiceSyntax {
  UBL = 'ubl',
  CII = 'cii',
}
registerEnumType(EInvoiceSyntax, {
  name: 'EInvoiceSyntax',
  description: 'UBL: OASIS UBL 2.1 Invoice/CreditNote; CII: UN/CEFACT Cross Industry Invoice D16B. Both EN 16931.',
});

@InputType('TimeOfUseRateInput', {
  description:
    "A FIXED tariff's price for the intervals starting on its days (every day by default) at or after `from` and " +
    'before `to` (HH:mm, local clock time in BILLING_TZ; `to` before `from` runs past midnight). The first rate ' +
    "that holds an interval prices it; the tariff's unitPriceEurMwh prices the rest.",
})
export class TimeOfUseRateInput {
  @Field(() => String) name!: string;
  @Field(() => [Weekday], { nullable: true }) days?: Weekday[] | null;
  @Field(() => String) from!: string;
  @Field(() => String) to!: string;
  @Field(() => String) unitPriceEurMwh!: string;
}

@ObjectType('TimeOfUseRate')
export class TimeOfUseRateType {
  @Field(() => String) name!: string;
  @Field(() => [Weekday]) days!: Weekday[];
  @Field(() => String) from!: string;
  @Field(() => String) to!: string;
  @Field(() => String) unitPriceEurMwh!: string;
}

@InputType('ExportTariffInput', {
  description:
    'How exported energy is credited, EUR/MWh as decimal strings: FIXED at unitPriceEurMwh (a feed-in tariff), or ' +
    'DYNAMIC at the market price x factor (default "1") less marginEurMwh (default "0").',
})
export class ExportTariffInput {
  @Field(() => TariffKind) kind!: TariffKind;
  @Field(() => String, { nullable: true }) unitPriceEurMwh?: string | null;
  @Field(() => String, { nullable: true }) factor?: string | null;
  @Field(() => String, { nullable: true }) marginEurMwh?: string | null;
}

@InputType('TariffInput', { description: 'Prices in EUR/MWh, the standing charge in EUR per day: decimal strings.' })
export class TariffInput {
  @Field(() => TariffKind) kind!: TariffKind;
  @Field(() => String, { nullable: true, description: 'DYNAMIC: multiplies the market price (default "1").' })
  factor?: string | null;
  @Field(() => String, { nullable: true, description: 'DYNAMIC: added per MWh (default "0").' })
  marginEurMwh?: string | null;
  @Field(() => String, { nullable: true, description: 'FIXED: the unit price.' })
  unitPriceEurMwh?: string | null;
  @Field(() => String) standingChargePerDay!: string;
  @Field(() => String, {
    nullable: true,
    description:
      'DYNAMIC: lowest unit price (market x factor + margin) per interval; "0" stops negative prices from paying out.',
  })
  floorEurMwh?: string | null;
  @Field(() => String, { nullable: true, description: 'DYNAMIC: highest unit price per interval.' })
  capEurMwh?: string | null;
  @Field(() => ExportTariffInput, {
    nullable: true,
    description: 'Credits exported energy on an EXPORT line per meter and tariff period (none when absent).',
  })
  export?: ExportTariffInput | null;
  @Field(() => [TimeOfUseRateInput], {
    nullable: true,
    description: 'FIXED: time-of-use rates; one ENERGY line per rate used, and one for the other hours.',
  })
  rates?: TimeOfUseRateInput[] | null;
}

@InputType('AccountInput')
export class AccountInput {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'VAT rate as a decimal: "0.20" for 20 %.' }) vatRate!: string;
  @Field(() => String, { nullable: true, description: 'EUR (the only currency market prices come in).' })
  currency?: string | null;
  @Field(() => TariffInput) tariff!: TariffInput;
  @Field(() => BillingDetailsInput, {
    nullable: true,
    description: 'The address and VAT id its e-invoices name (setBillingDetails changes them).',
  })
  billing?: BillingDetailsInput | null;
}

@ObjectType('ExportTariff')
export class ExportTariffType {
  @Field(() => TariffKind) kind!: TariffKind;
  @Field(() => String, { nullable: true }) unitPriceEurMwh!: string | null;
  @Field(() => String, { nullable: true }) factor!: string | null;
  @Field(() => String, { nullable: true }) marginEurMwh!: string | null;
}

@ObjectType('Tariff')
export class TariffType {
  @Field(() => TariffKind) kind!: TariffKind;
  @Field(() => String, { nullable: true }) factor!: string | null;
  @Field(() => String, { nullable: true }) marginEurMwh!: string | null;
  @Field(() => String, { nullable: true }) unitPriceEurMwh!: string | null;
  @Field(() => String) standingChargePerDay!: string;
  @Field(() => String, { nullable: true }) floorEurMwh!: string | null;
  @Field(() => String, { nullable: true }) capEurMwh!: string | null;
  @Field(() => ExportTariffType, { nullable: true, description: 'How exported energy is credited, if it is.' })
  export!: ExportTariffType | null;
  @Field(() => [TimeOfUseRateType], { description: 'FIXED: its time-of-use rates (none: one price).' })
  rates!: TimeOfUseRateType[];
}

@ObjectType('TariffPeriod')
export class TariffPeriodType {
  @Field(() => String, { description: 'First local day (0000-01-01 for the tariff the account opened with).' })
  from!: string;
  @Field(() => TariffType) tariff!: TariffType;
}

@ObjectType('MeterAssignment')
export class MeterAssignmentType {
  @Field(() => ID) meter!: string;
  @Field(() => String) from!: string;
  @Field(() => String, { nullable: true, description: 'Last day, inclusive; null: open-ended.' }) to!: string | null;
}

@ObjectType('InvoiceLine')
export class InvoiceLineType {
  @Field(() => ID, { nullable: true }) meter!: string | null;
  @Field(() => String, { description: 'ENERGY, MARGIN, STANDING_CHARGE or EXPORT (a credit: a negative amount).' })
  kind!: string;
  @Field(() => String) description!: string;
  @Field(() => String) quantity!: string;
  @Field(() => String, { description: 'kWh or day.' }) unit!: string;
  @Field(() => String, { description: 'EUR per unit.' }) unitPrice!: string;
  @Field(() => String, { description: 'EUR, rounded to cents half away from zero.' }) amount!: string;
}

@ObjectType('MeterEnergy')
export class MeterEnergyType {
  @Field(() => ID) meter!: string;
  @Field(() => String) kwh!: string;
  @Field(() => Int, { description: 'Days assigned to the account in the month.' }) days!: number;
}

/** What an issued invoice and a draft both show: the account, the period, the lines and the totals. */
@ObjectType()
abstract class InvoiceFiguresType {
  @Field(() => ID) account!: string;
  @Field(() => String) accountName!: string;
  @Field(() => String) month!: string;
  @Field(() => [InvoiceLineType]) lines!: InvoiceLineType[];
  @Field(() => String) subtotal!: string;
  @Field(() => String) vatRate!: string;
  @Field(() => String) vat!: string;
  @Field(() => String) total!: string;
  @Field(() => String) currency!: string;
  @Field(() => [MeterEnergyType]) meters!: MeterEnergyType[];
}

@ObjectType('IssuedInvoice', { description: 'An issued invoice or credit note: frozen, never recomputed.' })
export class IssuedInvoiceType extends InvoiceFiguresType {
  @Field(() => String) number!: string;
  @Field(() => String, { description: 'INVOICE or CREDIT_NOTE.' }) kind!: string;
  @Field(() => String, { description: "The draft's status when issued (a forced issue may be incomplete)." })
  draftStatus!: string;
  @Field(() => String) issuedAt!: string;
  @Field(() => String, { nullable: true, description: 'The invoice this one replaces (a correction).' })
  replaces!: string | null;
  @Field(() => String, { nullable: true, description: 'For a credit note: the invoice it cancels.' })
  credits!: string | null;
  @Field(() => String, { nullable: true, description: 'For an invoice: the credit note that cancelled it.' })
  creditedBy!: string | null;
  @Field(() => SupplierType, {
    nullable: true,
    description: "The supplier's details when issued; null when none were set (or issued before they were recorded).",
  })
  seller!: SupplierType | null;
  @Field(() => InvoiceBuyerType, {
    nullable: true,
    description: 'The buyer when issued; null for documents issued before buyers were recorded.',
  })
  buyer!: InvoiceBuyerType | null;
  @Field(() => [String], {
    description:
      'What this document lacks for an e-invoice, each saying how to mend it; empty when eInvoiceUrl serves one.',
  })
  eInvoiceGaps!: string[];
}

@ObjectType('DraftInvoice', { description: "An account's invoice for a month as it would be issued now." })
export class DraftInvoiceType extends InvoiceFiguresType {
  @Field(() => String, { description: 'COMPLETE, MISSING_READINGS or MISSING_PRICES.' }) status!: string;
  @Field(() => Int, { description: 'Assigned meter-days without complete readings.' }) missingDays!: number;
  @Field(() => Int, { description: 'Reading intervals without a market price.' }) unpricedIntervals!: number;
  @Field(() => String, { nullable: true, description: 'The standing issued invoice of this account and month.' })
  issuedNumber!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'Draft total minus the issued total, when they differ: issueCorrection issues it.',
  })
  pendingAdjustment!: string | null;
}

@ObjectType('Account')
export class AccountType {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String) currency!: string;
  @Field(() => String) vatRate!: string;
  @Field(() => String) openedAt!: string;
  @Field(() => [TariffPeriodType]) tariffs!: TariffPeriodType[];
  @Field(() => [MeterAssignmentType]) meters!: MeterAssignmentType[];
  @Field(() => BillingDetailsType, { nullable: true, description: 'Null until set: its e-invoices need them.' })
  billing!: BillingDetailsType | null;
}

@ObjectType('AccountEdge')
export class AccountEdge {
  @Field(() => String) cursor!: string;
  @Field(() => AccountType) node!: AccountType;
}

@ObjectType('AccountConnection')
export class AccountConnection {
  @Field(() => Int) totalCount!: number;
  @Field(() => [AccountEdge]) edges!: AccountEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType('SkippedInvoice')
export class SkippedInvoiceType {
  @Field(() => ID) account!: string;
  @Field(() => String) month!: string;
  @Field(() => String, { description: 'ALREADY_ISSUED, MISSING_READINGS or MISSING_PRICES.' }) reason!: string;
}

@ObjectType('IssueReport')
export class IssueReportType {
  @Field(() => [IssuedInvoiceType]) issued!: IssuedInvoiceType[];
  @Field(() => [SkippedInvoiceType]) skipped!: SkippedInvoiceType[];
  @Field(() => String, { description: 'Log position to pass as atLeast to later queries.' }) position!: string;
}

@ObjectType('CorrectionReport')
export class CorrectionReportType {
  @Field(() => IssuedInvoiceType) creditNote!: IssuedInvoiceType;
  @Field(() => IssuedInvoiceType) invoice!: IssuedInvoiceType;
  @Field(() => String) position!: string;
}
