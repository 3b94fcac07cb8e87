/**
 * An issued invoice or credit note in the terms of EN 16931 (the European e-invoice's semantic model:
 * business terms BT-n), independent of the syntax (UBL or CII) that writes it. Pure: the issue date in
 * the billing time zone comes in as an argument.
 *
 * Signs follow the standard, not the service's storage: a credit note states the amounts it credits as
 * positive (its type says it is a credit), and an item price is never negative (BR-27), so a line whose
 * amount is negative (an export credit, a negative margin) has a negative quantity and a positive price.
 */
import { addDays, addMonths } from '../billing/calendar';
import { formatCents, normalizeDecimal, parseMicro } from './decimal';
import type { IssuedDocumentData, IssuedLine } from './events';
import type { PostalAddress } from './parties';

/** BT-24: the document follows EN 16931 itself, no national extension. */
export const EN16931_SPECIFICATION = 'urn:cen.eu:en16931:2017';

export interface EInvoiceParty {
  name: string;
  address: PostalAddress;
  vatId: string | null;
  registrationId: string | null;
  email: string | null;
  phone: string | null;
}

export interface EInvoiceLine {
  /** BT-126: the line's position, 1-based. */
  id: string;
  /** BT-129, signed as the line amount. */
  quantity: string;
  /** BT-130: UN/ECE Recommendation 20 (KWH, DAY). */
  unitCode: 'KWH' | 'DAY';
  /** BT-131, two places. */
  netAmount: string;
  /** BT-146: never negative. */
  price: string;
  /** BT-153 */
  name: string;
  /** An item attribute (BG-32: BT-160 "Meter", BT-161 its id), when the line bills a meter. */
  meter: string | null;
}

export interface EInvoice {
  /** BT-1 */
  number: string;
  /** BT-3: 380 commercial invoice, 381 credit note. */
  typeCode: '380' | '381';
  /** BT-2, YYYY-MM-DD in the billing time zone. */
  issueDate: string;
  /** BT-5 */
  currency: 'EUR';
  /** BT-22 */
  notes: string[];
  /** BT-10 */
  buyerReference: string | null;
  /** BT-73, BT-74: the billed month. */
  period: { start: string; end: string };
  /** BT-25: the invoice a credit note cancels or a correction replaces. */
  precedingInvoice: string | null;
  seller: EInvoiceParty & { vatId: string };
  buyer: EInvoiceParty;
  /** BT-81 58 (SEPA credit transfer) with BT-84/BT-86, when the supplier gave an IBAN; BT-83 the number. */
  payment: { meansCode: '58'; iban: string; bic: string | null; remittance: string } | null;
  /** BT-20 */
  paymentTerms: string;
  lines: EInvoiceLine[];
  /** BG-23, one category: every line of an account bears its VAT rate. */
  vat: { categoryCode: 'S' | 'Z'; percent: string; taxableAmount: string; taxAmount: string };
  totals: {
    /** BT-106 */
    lineTotal: string;
    /** BT-109 */
    taxExclusive: string;
    /** BT-110 */
    tax: string;
    /** BT-112 */
    taxInclusive: string;
    /** BT-115 */
    payable: string;
  };
}

/** What an e-invoice needs that a document lacks, in words that say how to mend it. */
export type EInvoiceGap = string;

export const DEFAULT_PAYMENT_TERMS = 'Payable on receipt of this invoice.';

const UNIT_CODES = new Map<string, 'KWH' | 'DAY'>([
  ['kWh', 'KWH'],
  ['day', 'DAY'],
]);

const negateText = (amount: string): string => normalizeDecimal(-parseMicro(amount)!);
const abs = (amount: string): string => amount.replace(/^-/, '');
const isNegative = (amount: string): boolean => parseMicro(amount)! < 0n;

/** The month's first and last local day. */
export function monthPeriod(month: string): { start: string; end: string } {
  return { start: `${month}-01`, end: addDays(`${addMonths(month, 1)}-01`, -1) };
}

/** A VAT rate as a percentage ("0.19" → "19", "0.075" → "7.5"). */
export function vatPercent(vatRate: string): string {
  return normalizeDecimal(parseMicro(vatRate)! * 100n);
}

function eLine(line: IssuedLine, index: number, sign: 1n | -1n): EInvoiceLine {
  const unitCode = UNIT_CODES.get(line.unit);
  if (unitCode === undefined) throw new Error(`no UN/ECE unit code for "${line.unit}"`);
  const netAmount = formatCents((parseMicro(line.amount)! / 10_000n) * sign);
  return {
    id: String(index + 1),
    quantity: isNegative(netAmount)
      ? negateText(abs(line.quantity))
      : normalizeDecimal(parseMicro(abs(line.quantity))!),
    unitCode,
    netAmount,
    price: normalizeDecimal(parseMicro(abs(line.unitPrice))!),
    name: line.description,
    meter: line.meter,
  };
}

type DocumentOfKind = IssuedDocumentData & {
  kind: 'INVOICE' | 'CREDIT_NOTE';
  replaces: string | null;
  credits: string | null;
};

/** What an issued document lacks for an e-invoice, each gap saying how to mend it (none: it can have one). */
export function eInvoiceGaps(doc: Pick<DocumentOfKind, 'kind' | 'number' | 'accountId' | 'parties'>): EInvoiceGap[] {
  const reissue =
    doc.kind === 'INVOICE'
      ? `then issueCorrection(invoiceNumber: "${doc.number}") reissues it with them`
      : 'though a credit note is not reissued: its page stands as issued';
  const parties = doc.parties;
  if (parties === undefined) {
    return [
      `${doc.number} was issued before invoices recorded their seller and buyer: set the supplier (setSupplier) and the account's billing details (setBillingDetails), ${reissue}`,
    ];
  }
  const gaps: EInvoiceGap[] = [];
  if (parties.seller === null)
    gaps.push(`the supplier's details were not set when ${doc.number} was issued: set them (setSupplier), ${reissue}`);
  if (parties.buyer.billing === null)
    gaps.push(
      `account ${doc.accountId} had no billing address when ${doc.number} was issued: set it (setBillingDetails), ${reissue}`,
    );
  return gaps;
}

/**
 * The EN 16931 invoice of an issued document, or what it lacks: a document issued before parties were
 * recorded, without the supplier's details, or to an account without a billing address.
 */
export function eInvoiceOf(doc: DocumentOfKind, issueDate: string): EInvoice | { gaps: EInvoiceGap[] } {
  const gaps = eInvoiceGaps(doc);
  const parties = doc.parties;
  if (gaps.length > 0 || parties?.seller == null || parties.buyer.billing === null) return { gaps };
  const { seller } = parties;
  const billing = parties.buyer.billing;
  const sign = doc.kind === 'CREDIT_NOTE' ? -1n : 1n;
  const signed = (amount: string): string => formatCents((parseMicro(amount)! / 10_000n) * sign);
  const zeroRated = parseMicro(doc.vatRate) === 0n;
  const precedingInvoice = doc.credits ?? doc.replaces;
  const notes = [
    doc.credits === null ? null : `Cancels invoice ${doc.credits}.`,
    doc.replaces === null ? null : `Replaces invoice ${doc.replaces}.`,
    doc.draftStatus === 'COMPLETE' ? null : `Issued with incomplete data (${doc.draftStatus}).`,
  ].filter((n): n is string => n !== null);
  return {
    number: doc.number,
    typeCode: doc.kind === 'CREDIT_NOTE' ? '381' : '380',
    issueDate,
    currency: doc.currency,
    notes,
    buyerReference: billing.buyerReference,
    period: monthPeriod(doc.month),
    precedingInvoice,
    seller: {
      name: seller.legalName,
      address: seller.address,
      vatId: seller.vatId,
      registrationId: seller.registrationId,
      email: seller.email,
      phone: seller.phone,
    },
    buyer: {
      name: parties.buyer.name,
      address: billing.address,
      vatId: billing.vatId,
      registrationId: null,
      email: billing.email,
      phone: null,
    },
    payment:
      seller.iban === null ? null : { meansCode: '58', iban: seller.iban, bic: seller.bic, remittance: doc.number },
    paymentTerms: seller.paymentTerms ?? DEFAULT_PAYMENT_TERMS,
    lines: doc.lines.map((line, i) => eLine(line, i, sign)),
    vat: {
      categoryCode: zeroRated ? 'Z' : 'S',
      percent: vatPercent(doc.vatRate),
      taxableAmount: signed(doc.subtotal),
      taxAmount: signed(doc.vat),
    },
    totals: {
      lineTotal: signed(doc.subtotal),
      taxExclusive: signed(doc.subtotal),
      tax: signed(doc.vat),
      taxInclusive: signed(doc.total),
      payable: signed(doc.total),
    },
  };
}
