/**
 * The order the UBL 2.1 schemas fix for the elements the service writes (their xs:sequence), checked
 * here because the UBL XSDs are neither on npm nor in Debian.
 */
import { XMLParser } from 'fast-xml-parser';

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

// A credit note's line is an invoice line with a credited quantity.
UBL_INNER_ORDER['cac:CreditNoteLine'] = UBL_INNER_ORDER['cac:InvoiceLine']!.map((name) =>
  name === 'cbc:InvoicedQuantity' ? 'cbc:CreditedQuantity' : name,
);

const orderedParser = new XMLParser({ ignoreAttributes: true, preserveOrder: true, parseTagValue: false });

/** UBL's schemas fix each sequence's order: the root's children and the inner elements the service writes. */
export function ublOrderViolations(xml: string, credit: boolean): string[] {
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
