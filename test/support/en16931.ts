/**
 * An EN 16931 checker for the tests, independent of the code that writes the e-invoices: it reads a UBL
 * 2.1 or CII D16B document back into the standard's business terms (BT-n) and checks the rules that apply
 * to what the service issues: required terms (BR-1...BR-16 and the line terms), the totals' arithmetic
 * (BR-CO-10...16), the VAT breakdown (BR-CO-14, BR-CO-17, BR-CO-18, BR-S-*, BR-Z-*), prices (BR-27),
 * payment (BR-61, BR-CO-25), decimals (BR-DEC), the namespaces, and UBL's element order.
 *
 * The official Schematron (CEN/TC 434 validation artefacts) is not on npm or in Debian, so these rules are
 * written here from the standard; the CII schema check runs separately with xmllint.
 */
import { XMLParser } from 'fast-xml-parser';

export const UBL_INVOICE_NS = 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2';
export const UBL_CREDIT_NOTE_NS = 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2';
const UBL_CAC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2';
const UBL_CBC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2';
const CII_RSM = 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100';
const CII_RAM = 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100';
const CII_UDT = 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100';

/** The top-level sequence of the UBL 2.1 Invoice schema (UBL-Invoice-2.1.xsd), the elements of EN 16931's reach. */
const UBL_INVOICE_ORDER = [
  'cbc:UBLVersionID',
  'cbc:CustomizationID',
  'cbc:ProfileID',
  'cbc:ID',
  'cbc:IssueDate',
  'cbc:DueDate',
  'cbc:InvoiceTypeCode',
  'cbc:Note',
  'cbc:TaxPointDate',
  'cbc:DocumentCurrencyCode',
  'cbc:TaxCurrencyCode',
  'cbc:AccountingCost',
  'cbc:BuyerReference',
  'cac:InvoicePeriod',
  'cac:OrderReference',
  'cac:BillingReference',
  'cac:DespatchDocumentReference',
  'cac:ReceiptDocumentReference',
  'cac:OriginatorDocumentReference',
  'cac:ContractDocumentReference',
  'cac:AdditionalDocumentReference',
  'cac:ProjectReference',
  'cac:AccountingSupplierParty',
  'cac:AccountingCustomerParty',
  'cac:PayeeParty',
  'cac:TaxRepresentativeParty',
  'cac:Delivery',
  'cac:PaymentMeans',
  'cac:PaymentTerms',
  'cac:AllowanceCharge',
  'cac:TaxTotal',
  'cac:LegalMonetaryTotal',
  'cac:InvoiceLine',
];
/** UBL-CreditNote-2.1.xsd: the same, but the type code, the payment terms before allowances, and its lines. */
const UBL_CREDIT_NOTE_ORDER = UBL_INVOICE_ORDER.filter((n) => n !== 'cbc:DueDate').map((name) =>
  name === 'cbc:InvoiceTypeCode' ? 'cbc:CreditNoteTypeCode' : name === 'cac:InvoiceLine' ? 'cac:CreditNoteLine' : name,
);
/** Where the UBL 2.1 Party's, Address's, Item's and line's children must come, for those the service writes. */
const UBL_INNER_ORDER: Record<string, string[]> = {
  'cac:Party': [
    'cbc:EndpointID',
    'cac:PartyIdentification',
    'cac:PartyName',
    'cac:PostalAddress',
    'cac:PartyTaxScheme',
    'cac:PartyLegalEntity',
    'cac:Contact',
  ],
  'cac:PostalAddress': [
    'cbc:StreetName',
    'cbc:AdditionalStreetName',
    'cbc:CityName',
    'cbc:PostalZone',
    'cbc:CountrySubentity',
    'cac:AddressLine',
    'cac:Country',
  ],
  'cac:InvoiceLine': [
    'cbc:ID',
    'cbc:Note',
    'cbc:InvoicedQuantity',
    'cbc:LineExtensionAmount',
    'cbc:AccountingCost',
    'cac:InvoicePeriod',
    'cac:OrderLineReference',
    'cac:DocumentReference',
    'cac:AllowanceCharge',
    'cac:Item',
    'cac:Price',
  ],
  'cac:Item': [
    'cbc:Description',
    'cbc:Name',
    'cac:BuyersItemIdentification',
    'cac:SellersItemIdentification',
    'cac:StandardItemIdentification',
    'cac:OriginCountry',
    'cac:CommodityClassification',
    'cac:ClassifiedTaxCategory',
    'cac:AdditionalItemProperty',
  ],
  'cac:TaxSubtotal': ['cbc:TaxableAmount', 'cbc:TaxAmount', 'cac:TaxCategory'],
  'cac:TaxCategory': ['cbc:ID', 'cbc:Percent', 'cbc:TaxExemptionReasonCode', 'cbc:TaxExemptionReason', 'cac:TaxScheme'],
  'cac:ClassifiedTaxCategory': ['cbc:ID', 'cbc:Percent', 'cac:TaxScheme'],
  'cac:LegalMonetaryTotal': [
    'cbc:LineExtensionAmount',
    'cbc:TaxExclusiveAmount',
    'cbc:TaxInclusiveAmount',
    'cbc:AllowanceTotalAmount',
    'cbc:ChargeTotalAmount',
    'cbc:PrepaidAmount',
    'cbc:PayableRoundingAmount',
    'cbc:PayableAmount',
  ],
  'cac:PaymentMeans': ['cbc:PaymentMeansCode', 'cbc:PaymentID', 'cac:PayeeFinancialAccount'],
};

/** UN/ECE Recommendation 20 codes the service may write. */
const UNIT_CODES = new Set(['KWH', 'MWH', 'DAY', 'C62', 'H87']);

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

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  isArray: (name) => !name.startsWith('@'),
});
const orderedParser = new XMLParser({ ignoreAttributes: true, preserveOrder: true, parseTagValue: false });

function children(node: Node | undefined, name: string): Node[] {
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

function readUbl(root: Node, credit: boolean): SemanticInvoice {
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

function readCii(root: Node): SemanticInvoice {
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

// ---- exact decimals: scaled to 10^-8, enough for prices and quantities the service writes ----

const SCALE = 8;
const DECIMAL = /^-?\d+(\.\d+)?$/;
function scaled(text: string): bigint {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  if (fraction.length > SCALE) throw new Error(`more than ${SCALE} decimals: ${text}`);
  const v = BigInt(whole!) * 10n ** BigInt(SCALE) + BigInt(fraction.padEnd(SCALE, '0'));
  return negative ? -v : v;
}
const places = (text: string): number => text.split('.')[1]?.length ?? 0;
/** Rounds a value at 10^-8 scale to two decimals, half away from zero (EN 16931's rounding). */
function round2(v: bigint): bigint {
  const unit = 10n ** BigInt(SCALE - 2);
  const abs = v < 0n ? -v : v;
  let q = abs / unit;
  if ((abs % unit) * 2n >= unit) q += 1n;
  return (v < 0n ? -q : q) * unit;
}

/** Reads an e-invoice back and lists every rule it breaks (empty: it passes). */
export function checkEn16931(xml: string): { invoice: SemanticInvoice | null; violations: string[] } {
  const violations: string[] = [];
  let parsed: Node;
  try {
    parsed = parser.parse(xml, true) as Node;
  } catch (error) {
    return { invoice: null, violations: [`not well-formed XML: ${String(error)}`] };
  }
  const [rootName] = Object.keys(parsed).filter((k) => k !== '?xml');
  const root = children(parsed, rootName!)[0]!;
  let invoice: SemanticInvoice;
  if (rootName === 'Invoice' || rootName === 'CreditNote') {
    const credit = rootName === 'CreditNote';
    if (root['@xmlns'] !== (credit ? UBL_CREDIT_NOTE_NS : UBL_INVOICE_NS))
      violations.push('UBL: wrong default namespace');
    if (root['@xmlns:cac'] !== UBL_CAC || root['@xmlns:cbc'] !== UBL_CBC)
      violations.push('UBL: wrong cac/cbc namespace');
    invoice = readUbl(root, credit);
    violations.push(...ublOrderViolations(xml, credit));
  } else if (rootName === 'rsm:CrossIndustryInvoice') {
    if (root['@xmlns:rsm'] !== CII_RSM || root['@xmlns:ram'] !== CII_RAM || root['@xmlns:udt'] !== CII_UDT)
      violations.push('CII: wrong rsm/ram/udt namespace');
    invoice = readCii(root);
  } else {
    return { invoice: null, violations: [`root element ${rootName} is neither a UBL Invoice/CreditNote nor a CII`] };
  }
  violations.push(...ruleViolations(invoice));
  return { invoice, violations };
}

// A credit note's line is an invoice line with a credited quantity.
UBL_INNER_ORDER['cac:CreditNoteLine'] = UBL_INNER_ORDER['cac:InvoiceLine']!.map((name) =>
  name === 'cbc:InvoicedQuantity' ? 'cbc:CreditedQuantity' : name,
);

/** UBL's schemas fix each sequence's order: the root's children and the inner elements the service writes. */
function ublOrderViolations(xml: string, credit: boolean): string[] {
  const violations: string[] = [];
  const ordered = orderedParser.parse(xml) as Array<Record<string, unknown>>;
  const rootEntry = ordered.find((e) => !('?xml' in e))!;
  const rootName = Object.keys(rootEntry)[0]!;
  const check = (name: string, entries: Array<Record<string, unknown>>, order: string[] | undefined): void => {
    const names = entries.map((e) => Object.keys(e)[0]!).filter((n) => n !== '#text' && n !== ':@');
    if (order !== undefined) {
      let last = -1;
      for (const child of names) {
        const index = order.indexOf(child);
        if (index === -1) violations.push(`UBL: ${child} is not expected in ${name}`);
        else if (index < last) violations.push(`UBL: ${child} is out of order in ${name}`);
        else last = index;
      }
    }
    for (const entry of entries) {
      const childName = Object.keys(entry)[0]!;
      const content = entry[childName];
      if (Array.isArray(content))
        check(childName, content as Array<Record<string, unknown>>, UBL_INNER_ORDER[childName]);
    }
  };
  check(
    rootName,
    rootEntry[rootName] as Array<Record<string, unknown>>,
    credit ? UBL_CREDIT_NOTE_ORDER : UBL_INVOICE_ORDER,
  );
  return violations;
}

function ruleViolations(inv: SemanticInvoice): string[] {
  const v: string[] = [];
  const need = (rule: string, term: string, value: string | null): void => {
    if (value === null || value.trim() === '') v.push(`${rule}: ${term} is missing`);
  };
  need('BR-1', 'BT-24 specification identifier', inv.specification);
  if (inv.specification !== null && inv.specification !== 'urn:cen.eu:en16931:2017')
    v.push(`BR-1: BT-24 is ${inv.specification}, not urn:cen.eu:en16931:2017`);
  need('BR-2', 'BT-1 invoice number', inv.number);
  need('BR-3', 'BT-2 issue date', inv.issueDate);
  if (inv.issueDate !== null && !/^\d{4}-\d{2}-\d{2}$/.test(inv.issueDate))
    v.push(`BR-3: BT-2 ${inv.issueDate} is not a date`);
  need('BR-4', 'BT-3 type code', inv.typeCode);
  if (inv.typeCode !== null && !['380', '381', '384'].includes(inv.typeCode)) v.push(`BR-CL-01: BT-3 ${inv.typeCode}`);
  need('BR-5', 'BT-5 currency', inv.currency);
  need('BR-6', 'BT-27 seller name', inv.seller.name);
  need('BR-9', 'BT-40 seller country code', inv.seller.countryCode);
  need('BR-7', 'BT-44 buyer name', inv.buyer.name);
  need('BR-11', 'BT-55 buyer country code', inv.buyer.countryCode);
  for (const code of [inv.seller.countryCode, inv.buyer.countryCode])
    if (code !== null && !/^[A-Z]{2}$/.test(code)) v.push(`BR-CL-14: country code ${code}`);
  need('BR-12', 'BT-106 sum of line net amounts', inv.totals.lineTotal);
  need('BR-13', 'BT-109 total without VAT', inv.totals.taxExclusive);
  need('BR-14', 'BT-112 total with VAT', inv.totals.taxInclusive);
  need('BR-15', 'BT-115 amount due', inv.totals.payable);
  if (inv.lines.length === 0) v.push('BR-16: no invoice line');
  if (inv.breakdown.length === 0) v.push('BR-CO-18: no VAT breakdown');
  if (inv.typeCode === '381' || inv.precedingInvoice !== null) {
    if (inv.typeCode === '381') need('BR-55 (credit note)', 'BT-25 preceding invoice', inv.precedingInvoice);
  }
  if (inv.period.start !== null && inv.period.end !== null && inv.period.end < inv.period.start)
    v.push('BR-29: BT-74 is before BT-73');

  const amounts: Array<[string, string | null]> = [
    ['BT-106', inv.totals.lineTotal],
    ['BT-107', inv.totals.allowances],
    ['BT-108', inv.totals.charges],
    ['BT-109', inv.totals.taxExclusive],
    ['BT-110', inv.totals.tax],
    ['BT-112', inv.totals.taxInclusive],
    ['BT-113', inv.totals.prepaid],
    ['BT-114', inv.totals.rounding],
    ['BT-115', inv.totals.payable],
    ...inv.breakdown.flatMap((b, i): Array<[string, string | null]> => [
      [`BT-116 #${i + 1}`, b.taxable],
      [`BT-117 #${i + 1}`, b.tax],
    ]),
    ...inv.lines.map((l): [string, string | null] => [`BT-131 line ${l.id}`, l.netAmount]),
  ];
  for (const [term, text] of amounts) {
    if (text === null) continue;
    if (!DECIMAL.test(text)) v.push(`${term}: "${text}" is not a decimal`);
    else if (places(text) > 2) v.push(`BR-DEC: ${term} ${text} has more than two decimals`);
  }
  if (v.some((m) => m.includes('is not a decimal'))) return v;
  const n = (text: string | null): bigint => (text === null ? 0n : scaled(text));

  // Lines: required terms, BR-27, categories.
  const ids = new Set<string>();
  for (const line of inv.lines) {
    const at = `line ${line.id ?? '?'}`;
    need('BR-21', `${at} BT-126 identifier`, line.id);
    need('BR-22', `${at} BT-129 quantity`, line.quantity);
    need('BR-23', `${at} BT-130 unit`, line.unitCode);
    need('BR-24', `${at} BT-131 net amount`, line.netAmount);
    need('BR-25', `${at} BT-153 item name`, line.name);
    need('BR-26', `${at} BT-146 net price`, line.price);
    need('BR-CO-4', `${at} BT-151 VAT category`, line.categoryCode);
    if (line.id !== null) {
      if (ids.has(line.id)) v.push(`${at}: BT-126 is not unique`);
      ids.add(line.id);
    }
    if (line.unitCode !== null && !UNIT_CODES.has(line.unitCode)) v.push(`BR-CL-23: ${at} unit ${line.unitCode}`);
    if (line.price !== null && n(line.price) < 0n) v.push(`BR-27: ${at} price ${line.price} is negative`);
    if (line.quantity !== null && line.netAmount !== null && line.price !== null) {
      // Quantity and amount share a sign; a price is never negative (BR-27), so credits are negative quantities.
      const q = n(line.quantity);
      const a = n(line.netAmount);
      if ((q < 0n && a > 0n) || (q > 0n && a < 0n))
        v.push(`${at}: BT-129 ${line.quantity} and BT-131 ${line.netAmount} differ in sign`);
    }
  }

  const sumLines = inv.lines.reduce((s, l) => s + n(l.netAmount), 0n);
  if (n(inv.totals.lineTotal) !== sumLines)
    v.push(`BR-CO-10: BT-106 ${inv.totals.lineTotal} is not the sum of the lines`);
  const exclusive = n(inv.totals.lineTotal) - n(inv.totals.allowances) + n(inv.totals.charges);
  if (n(inv.totals.taxExclusive) !== exclusive)
    v.push(`BR-CO-13: BT-109 ${inv.totals.taxExclusive} is not BT-106 - BT-107 + BT-108`);
  const sumTax = inv.breakdown.reduce((s, b) => s + n(b.tax), 0n);
  if (n(inv.totals.tax) !== sumTax) v.push(`BR-CO-14: BT-110 ${inv.totals.tax} is not the sum of BT-117`);
  if (n(inv.totals.taxInclusive) !== n(inv.totals.taxExclusive) + n(inv.totals.tax))
    v.push(`BR-CO-15: BT-112 ${inv.totals.taxInclusive} is not BT-109 + BT-110`);
  if (n(inv.totals.payable) !== n(inv.totals.taxInclusive) - n(inv.totals.prepaid) + n(inv.totals.rounding))
    v.push(`BR-CO-16: BT-115 ${inv.totals.payable} is not BT-112 - BT-113 + BT-114`);

  for (const [i, b] of inv.breakdown.entries()) {
    const at = `VAT breakdown #${i + 1}`;
    need('BR-45', `${at} BT-116 taxable amount`, b.taxable);
    need('BR-46', `${at} BT-117 VAT amount`, b.tax);
    need('BR-47', `${at} BT-118 category`, b.categoryCode);
    need('BR-48', `${at} BT-119 rate`, b.percent);
    if (b.taxable === null || b.tax === null || b.percent === null) continue;
    const expected = round2((n(b.taxable) * n(b.percent)) / (100n * 10n ** BigInt(SCALE)));
    if (n(b.tax) !== expected) v.push(`BR-CO-17: ${at} BT-117 ${b.tax} is not BT-116 x BT-119 rounded`);
    const mine = inv.lines.filter((l) => l.categoryCode === b.categoryCode && n(l.percent) === n(b.percent));
    const taxable = mine.reduce((s, l) => s + n(l.netAmount), 0n);
    if (n(b.taxable) !== taxable)
      v.push(`BR-${b.categoryCode}-08: ${at} BT-116 ${b.taxable} is not the sum of its category's lines`);
    if (b.categoryCode === 'S' && n(b.percent) <= 0n) v.push(`BR-S-05: ${at} standard rate is not above zero`);
    if (b.categoryCode === 'Z' && (n(b.percent) !== 0n || n(b.tax) !== 0n)) v.push(`BR-Z-05/09: ${at} not zero`);
  }
  for (const line of inv.lines) {
    const covered = inv.breakdown.some((b) => b.categoryCode === line.categoryCode && n(b.percent) === n(line.percent));
    if (!covered)
      v.push(
        `BR-${line.categoryCode}-01: line ${line.id} category ${line.categoryCode} ${line.percent}% has no breakdown`,
      );
    if (line.categoryCode === 'S' && n(line.percent) <= 0n)
      v.push(`BR-S-05: line ${line.id} standard rate not above zero`);
    if (line.categoryCode === 'Z' && n(line.percent) !== 0n) v.push(`BR-Z-05: line ${line.id} zero rate not zero`);
  }
  if (inv.breakdown.some((b) => b.categoryCode === 'S' || b.categoryCode === 'Z'))
    need('BR-S-02/BR-Z-02', 'BT-31 seller VAT identifier', inv.seller.vatId);

  if (inv.paymentMeansCode === '58') need('BR-61', 'BT-84 payment account (IBAN)', inv.iban);
  if (n(inv.totals.payable) > 0n && inv.dueDate === null && inv.paymentTerms === null)
    v.push('BR-CO-25: a positive amount due needs BT-9 due date or BT-20 payment terms');
  return v;
}
