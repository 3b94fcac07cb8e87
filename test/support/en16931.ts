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
import { children, type Node, parser, readCii, readUbl, type SemanticInvoice } from './en16931/read';
import { ublOrderViolations } from './en16931/ubl-order';

export type { SemanticInvoice } from './en16931/read';

export const UBL_INVOICE_NS = 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2';
export const UBL_CREDIT_NOTE_NS = 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2';
const UBL_CAC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2';
const UBL_CBC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2';
const CII_RSM = 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100';
const CII_RAM = 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100';
const CII_UDT = 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100';

/** UN/ECE Recommendation 20 codes the service may write. */
const UNIT_CODES = new Set(['KWH', 'MWH', 'DAY', 'C62', 'H87']);

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
