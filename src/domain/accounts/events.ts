/**
 * Customer accounts, the meters assigned to them, and the invoices issued to them: the events, their
 * streams, and the tariff terms they carry. Amounts and rates are decimal strings (exact), never floats.
 */
import type { BillingDetails } from './parties';
import type { SupplierDetails } from './supplier';

/** A DYNAMIC tariff bills market price x factor + margin per MWh (optionally floored/capped); FIXED one unit price. */
/**
 * How exported energy is credited: at a fixed feed-in price, or at the market price x factor less a margin
 * (EUR/MWh). Absent in tariffs set before export was credited (version 1 of the terms): no credit.
 */
export type ExportTerms =
  { kind: 'FIXED'; unitPriceEurMwh: string } | { kind: 'DYNAMIC'; factor: string; marginEurMwh: string };

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A time-of-use rate of a FIXED tariff: the price of the intervals that start on one of its days, at or
 * after `from` and before `to` (local clock time, `HH:mm`; a window with `to` before `from` runs past midnight).
 */
export interface TimeOfUseRate {
  name: string;
  days: Weekday[];
  from: string;
  to: string;
  unitPriceEurMwh: string;
}

export type TariffTerms = (
  | {
      kind: 'DYNAMIC';
      factor: string;
      marginEurMwh: string;
      standingChargePerDay: string;
      floorEurMwh: string | null;
      capEurMwh: string | null;
    }
  | {
      kind: 'FIXED';
      unitPriceEurMwh: string;
      standingChargePerDay: string;
      /** Time-of-use rates, the first that holds an interval pricing it (absent: one price). */
      rates?: TimeOfUseRate[];
    }
) & { export?: ExportTerms | null };

export interface AccountOpened {
  type: 'AccountOpened';
  data: { accountId: string; name: string; currency: 'EUR'; vatRate: string; tariff: TariffTerms; openedAt: string };
}

/** A tariff that takes effect from a local day (inclusive) until the next change. */
export interface TariffChanged {
  type: 'TariffChanged';
  data: { accountId: string; effectiveFrom: string; tariff: TariffTerms };
}

/** The customer's billing details (address, VAT id, buyer reference, email): the buyer of its e-invoices. */
export interface AccountBillingDetailsSet {
  type: 'AccountBillingDetailsSet';
  data: { accountId: string; billing: BillingDetails; setAt: string };
}

/** A meter belongs to an account over local days `from`..`to` (inclusive; `to` null: open-ended). */
export interface MeterAssigned {
  type: 'MeterAssigned';
  data: { meter: string; accountId: string; from: string; to: string | null };
}

/** An assignment ends early: the meter leaves the account after `lastDay` (a move to another account). */
export interface MeterUnassigned {
  type: 'MeterUnassigned';
  data: { meter: string; accountId: string; from: string; lastDay: string };
}

export type AccountEvent = AccountOpened | TariffChanged | AccountBillingDetailsSet;
export type MeterAssignmentEvent = MeterAssigned | MeterUnassigned;

/** One line of an issued invoice or credit note, frozen as issued (amounts in cents, as decimal strings). */
export interface IssuedLine {
  meter: string | null;
  kind: 'ENERGY' | 'MARGIN' | 'STANDING_CHARGE' | 'EXPORT';
  description: string;
  quantity: string;
  unit: string;
  unitPrice: string;
  amount: string;
}

export interface IssuedDocumentData {
  number: string;
  accountId: string;
  accountName: string;
  month: string;
  currency: 'EUR';
  vatRate: string;
  lines: IssuedLine[];
  subtotal: string;
  vat: string;
  total: string;
  /** kWh per meter of the period (decimal strings). */
  meters: Array<{ meter: string; kwh: string; days: number }>;
  /** The draft's status when issued (a forced issue may be incomplete). */
  draftStatus: 'COMPLETE' | 'MISSING_READINGS' | 'MISSING_PRICES';
  issuedAt: string;
  /**
   * Version 2 (e-invoices): the seller and buyer as they were when issued. Version 1 documents, issued
   * before, have none: they still replay, and their e-invoice is refused naming what is missing.
   */
  parties?: IssuedParties;
}

/** The buyer an issued document names: the account's name and its billing details then (null: none set). */
export interface IssuedBuyer {
  name: string;
  billing: BillingDetails | null;
}

/** Who an issued document is from and to, frozen when issued. */
export interface IssuedParties {
  /** The supplier's details then; null when none were set (no e-invoice can be made). */
  seller: SupplierDetails | null;
  buyer: IssuedBuyer;
}

/** An invoice, numbered from its year's gapless sequence. `replaces`: the invoice a correction replaces. */
export interface InvoiceIssued {
  type: 'InvoiceIssued';
  data: IssuedDocumentData & { replaces: string | null };
}

/** Cancels an issued invoice (its lines negated), numbered from the same sequence. */
export interface CreditNoteIssued {
  type: 'CreditNoteIssued';
  data: IssuedDocumentData & { credits: string };
}

export type InvoicingEvent = InvoiceIssued | CreditNoteIssued;

export const ACCOUNT_STREAM_PREFIX = 'account-';
export const METER_STREAM_PREFIX = 'meter-';
export const INVOICE_STREAM_PREFIX = 'invoices-';
export const accountStreamName = (accountId: string): string => `${ACCOUNT_STREAM_PREFIX}${accountId}`;
export const meterStreamName = (meter: string): string => `${METER_STREAM_PREFIX}${meter}`;
/** One stream per year holds every invoice and credit note issued in it: its revision is the sequence. */
export const invoiceStreamName = (year: number): string => `${INVOICE_STREAM_PREFIX}${year}`;

/** `2026-000001`: the year and the 1-based sequence number within it. */
export function invoiceNumber(year: number, sequence: number): string {
  return `${year}-${String(sequence).padStart(6, '0')}`;
}

export function parseInvoiceNumber(number: string): { year: number; sequence: number } | null {
  const match = /^(\d{4})-(\d{6,})$/.exec(number);
  return match === null ? null : { year: Number(match[1]), sequence: Number(match[2]) };
}

const TYPES = new Set([
  'AccountOpened',
  'TariffChanged',
  'AccountBillingDetailsSet',
  'MeterAssigned',
  'MeterUnassigned',
]);
const INVOICING_TYPES = new Set(['InvoiceIssued', 'CreditNoteIssued']);

/** The typed event of a recorded one, or null when it is not an accounts event. */
export function toAccountsEvent(recorded: {
  type: string;
  data: unknown;
}): AccountEvent | MeterAssignmentEvent | InvoicingEvent | null {
  if (TYPES.has(recorded.type) || INVOICING_TYPES.has(recorded.type)) {
    return { type: recorded.type, data: recorded.data } as AccountEvent | MeterAssignmentEvent | InvoicingEvent;
  }
  return null;
}
