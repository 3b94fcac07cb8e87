/**
 * Reads a UBL 2.1 or CII D16B e-invoice back into EN 16931's business terms, independently of the code
 * that wrote it.
 */
import { XMLParser } from 'fast-xml-parser';

export interface Party {
  name: string | null;
  countryCode: string | null;
  vatId: string | null;
}

export interface Line {
  id: string | null;
  quantity: string | null;
  unitCode: string | null;
  netAmount: string | null;
  price: string | null;
  name: string | null;
  categoryCode: string | null;
  percent: string | null;
}

/** The business terms of an e-invoice, as read back from its XML. */
export interface SemanticInvoice {
  syntax: 'UBL' | 'CII';
  specification: string | null;
  number: string | null;
  issueDate: string | null;
  typeCode: string | null;
  currency: string | null;
  buyerReference: string | null;
  precedingInvoice: string | null;
  period: { start: string | null; end: string | null };
  seller: Party;
  buyer: Party;
  paymentMeansCode: string | null;
  iban: string | null;
  paymentTerms: string | null;
  dueDate: string | null;
  totals: {
    lineTotal: string | null;
    allowances: string | null;
    charges: string | null;
    taxExclusive: string | null;
    tax: string | null;
    taxInclusive: string | null;
    prepaid: string | null;
    rounding: string | null;
    payable: string | null;
  };
  breakdown: Array<{ taxable: string | null; tax: string | null; categoryCode: string | null; percent: string | null }>;
  lines: Line[];
}

export type Node = Record<string, unknown>;

export const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  isArray: (name) => !name.startsWith('@'),
});

export function children(node: Node | undefined, name: string): Node[] {
  const value = node?.[name];
  return Array.isArray(value) ? (value as Node[]) : [];
}

/** The first node down a path of element names. */
function at(node: Node | undefined, path: string): Node | undefined {
  let current = node;
  for (const name of path.split('/')) current = children(current, name)[0];
  return current;
}

function textOf(node: Node | string | undefined): string | null {
  if (node === undefined) return null;
  if (typeof node === 'string') return node;
  const text = node['#text'];
  return typeof text === 'string' ? text : null;
}

const value = (node: Node | undefined, path: string): string | null => {
  const parts = path.split('/');
  const last = parts.pop()!;
  const parent = parts.length === 0 ? node : at(node, parts.join('/'));
  const leaf = parent?.[last];
  return Array.isArray(leaf) ? textOf(leaf[0] as Node | string) : null;
};
const attribute = (node: Node | undefined, path: string, name: string): string | null => {
  const target = at(node, path);
  const v = target?.[`@${name}`];
  return typeof v === 'string' ? v : null;
};

export function readUbl(root: Node, credit: boolean): SemanticInvoice {
  const party = (path: string): Party => {
    const p = at(root, `${path}/cac:Party`);
    const vat = children(p, 'cac:PartyTaxScheme').find((s) => value(s, 'cac:TaxScheme/cbc:ID') === 'VAT');
    return {
      name: value(p, 'cac:PartyLegalEntity/cbc:RegistrationName'),
      countryCode: value(p, 'cac:PostalAddress/cac:Country/cbc:IdentificationCode'),
      vatId: vat === undefined ? null : value(vat, 'cbc:CompanyID'),
    };
  };
  const total = (name: string) => value(root, `cac:LegalMonetaryTotal/${name}`);
  const taxTotals = children(root, 'cac:TaxTotal');
  const quantity = credit ? 'cbc:CreditedQuantity' : 'cbc:InvoicedQuantity';
  return {
    syntax: 'UBL',
    specification: value(root, 'cbc:CustomizationID'),
    number: value(root, 'cbc:ID'),
    issueDate: value(root, 'cbc:IssueDate'),
    typeCode: value(root, credit ? 'cbc:CreditNoteTypeCode' : 'cbc:InvoiceTypeCode'),
    currency: value(root, 'cbc:DocumentCurrencyCode'),
    buyerReference: value(root, 'cbc:BuyerReference'),
    precedingInvoice: value(root, 'cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID'),
    period: {
      start: value(root, 'cac:InvoicePeriod/cbc:StartDate'),
      end: value(root, 'cac:InvoicePeriod/cbc:EndDate'),
    },
    seller: party('cac:AccountingSupplierParty'),
    buyer: party('cac:AccountingCustomerParty'),
    paymentMeansCode: value(root, 'cac:PaymentMeans/cbc:PaymentMeansCode'),
    iban: value(root, 'cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID'),
    paymentTerms: value(root, 'cac:PaymentTerms/cbc:Note'),
    dueDate: value(root, 'cbc:DueDate'),
    totals: {
      lineTotal: total('cbc:LineExtensionAmount'),
      allowances: total('cbc:AllowanceTotalAmount'),
      charges: total('cbc:ChargeTotalAmount'),
      taxExclusive: total('cbc:TaxExclusiveAmount'),
      // BT-110 is the TaxTotal in the document currency (the one with subtotals).
      tax: taxTotals.length === 0 ? null : value(taxTotals[0], 'cbc:TaxAmount'),
      taxInclusive: total('cbc:TaxInclusiveAmount'),
      prepaid: total('cbc:PrepaidAmount'),
      rounding: total('cbc:PayableRoundingAmount'),
      payable: total('cbc:PayableAmount'),
    },
    breakdown: taxTotals.flatMap((t) =>
      children(t, 'cac:TaxSubtotal').map((s) => ({
        taxable: value(s, 'cbc:TaxableAmount'),
        tax: value(s, 'cbc:TaxAmount'),
        categoryCode: value(s, 'cac:TaxCategory/cbc:ID'),
        percent: value(s, 'cac:TaxCategory/cbc:Percent'),
      })),
    ),
    lines: children(root, credit ? 'cac:CreditNoteLine' : 'cac:InvoiceLine').map((l) => ({
      id: value(l, 'cbc:ID'),
      quantity: value(l, quantity),
      unitCode: attribute(l, quantity, 'unitCode'),
      netAmount: value(l, 'cbc:LineExtensionAmount'),
      price: value(l, 'cac:Price/cbc:PriceAmount'),
      name: value(l, 'cac:Item/cbc:Name'),
      categoryCode: value(l, 'cac:Item/cac:ClassifiedTaxCategory/cbc:ID'),
      percent: value(l, 'cac:Item/cac:ClassifiedTaxCategory/cbc:Percent'),
    })),
  };
}

/** A CII date (format 102, YYYYMMDD) as YYYY-MM-DD. */
function ciiDate(node: Node | undefined, path: string): string | null {
  const text = value(node, `${path}/udt:DateTimeString`);
  if (text === null) return null;
  if (attribute(node, `${path}/udt:DateTimeString`, 'format') !== '102' || !/^\d{8}$/.test(text)) return `bad:${text}`;
  return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
}

export function readCii(root: Node): SemanticInvoice {
  const transaction = at(root, 'rsm:SupplyChainTradeTransaction');
  const agreement = at(transaction, 'ram:ApplicableHeaderTradeAgreement');
  const settlement = at(transaction, 'ram:ApplicableHeaderTradeSettlement');
  const sums = at(settlement, 'ram:SpecifiedTradeSettlementHeaderMonetarySummation');
  const party = (name: string): Party => {
    const p = at(agreement, name);
    const vat = children(p, 'ram:SpecifiedTaxRegistration').find((r) => attribute(r, 'ram:ID', 'schemeID') === 'VA');
    return {
      name: value(p, 'ram:Name'),
      countryCode: value(p, 'ram:PostalTradeAddress/ram:CountryID'),
      vatId: vat === undefined ? null : value(vat, 'ram:ID'),
    };
  };
  const currency = value(settlement, 'ram:InvoiceCurrencyCode');
  const taxTotals = children(sums, 'ram:TaxTotalAmount');
  const tax = taxTotals.find((t) => t['@currencyID'] === currency);
  return {
    syntax: 'CII',
    specification: value(root, 'rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID'),
    number: value(root, 'rsm:ExchangedDocument/ram:ID'),
    issueDate: ciiDate(at(root, 'rsm:ExchangedDocument'), 'ram:IssueDateTime'),
    typeCode: value(root, 'rsm:ExchangedDocument/ram:TypeCode'),
    currency,
    buyerReference: value(agreement, 'ram:BuyerReference'),
    precedingInvoice: value(settlement, 'ram:InvoiceReferencedDocument/ram:IssuerAssignedID'),
    period: {
      start: ciiDate(at(settlement, 'ram:BillingSpecifiedPeriod'), 'ram:StartDateTime'),
      end: ciiDate(at(settlement, 'ram:BillingSpecifiedPeriod'), 'ram:EndDateTime'),
    },
    seller: party('ram:SellerTradeParty'),
    buyer: party('ram:BuyerTradeParty'),
    paymentMeansCode: value(settlement, 'ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode'),
    iban: value(
      settlement,
      'ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID',
    ),
    paymentTerms: value(settlement, 'ram:SpecifiedTradePaymentTerms/ram:Description'),
    dueDate: ciiDate(at(settlement, 'ram:SpecifiedTradePaymentTerms'), 'ram:DueDateDateTime'),
    totals: {
      lineTotal: value(sums, 'ram:LineTotalAmount'),
      allowances: value(sums, 'ram:AllowanceTotalAmount'),
      charges: value(sums, 'ram:ChargeTotalAmount'),
      taxExclusive: value(sums, 'ram:TaxBasisTotalAmount'),
      tax: tax === undefined ? null : textOf(tax),
      taxInclusive: value(sums, 'ram:GrandTotalAmount'),
      prepaid: value(sums, 'ram:TotalPrepaidAmount'),
      rounding: value(sums, 'ram:RoundingAmount'),
      payable: value(sums, 'ram:DuePayableAmount'),
    },
    breakdown: children(settlement, 'ram:ApplicableTradeTax').map((t) => ({
      taxable: value(t, 'ram:BasisAmount'),
      tax: value(t, 'ram:CalculatedAmount'),
      categoryCode: value(t, 'ram:CategoryCode'),
      percent: value(t, 'ram:RateApplicablePercent'),
    })),
    lines: children(transaction, 'ram:IncludedSupplyChainTradeLineItem').map((l) => ({
      id: value(l, 'ram:AssociatedDocumentLineDocument/ram:LineID'),
      quantity: value(l, 'ram:SpecifiedLineTradeDelivery/ram:BilledQuantity'),
      unitCode: attribute(l, 'ram:SpecifiedLineTradeDelivery/ram:BilledQuantity', 'unitCode'),
      netAmount: value(
        l,
        'ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount',
      ),
      price: value(l, 'ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount'),
      name: value(l, 'ram:SpecifiedTradeProduct/ram:Name'),
      categoryCode: value(l, 'ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode'),
      percent: value(l, 'ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent'),
    })),
  };
}
