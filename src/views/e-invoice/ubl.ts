/**
 * An EN 16931 invoice in OASIS UBL 2.1: an `Invoice`, or a `CreditNote` for type 381. Elements are
 * written in the order the UBL 2.1 schemas' sequences require (the schemas are not on npm or in Debian,
 * so tests check the order against the list below, not by XSD; see docs/e-invoices.md).
 */
import { EN16931_SPECIFICATION, type EInvoice, type EInvoiceParty } from '../../domain/accounts/e-invoice';
import { el, renderXml, text, type XmlElement } from './xml';

export const UBL_NAMESPACES = {
  invoice: 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2',
  creditNote: 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2',
  cac: 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
  cbc: 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
} as const;

const money = (name: string, amount: string, currency: string): XmlElement =>
  text(name, amount, { currencyID: currency })!;

function address(party: EInvoiceParty): XmlElement {
  return el('cac:PostalAddress', [
    text('cbc:StreetName', party.address.street),
    text('cbc:CityName', party.address.city),
    text('cbc:PostalZone', party.address.postalCode),
    el('cac:Country', [text('cbc:IdentificationCode', party.address.countryCode)]),
  ]);
}

function party(wrapper: string, p: EInvoiceParty): XmlElement {
  return el(wrapper, [
    el('cac:Party', [
      p.email === null ? null : text('cbc:EndpointID', p.email, { schemeID: 'EM' }),
      el('cac:PartyName', [text('cbc:Name', p.name)]),
      address(p),
      p.vatId === null
        ? null
        : el('cac:PartyTaxScheme', [text('cbc:CompanyID', p.vatId), el('cac:TaxScheme', [text('cbc:ID', 'VAT')])]),
      el('cac:PartyLegalEntity', [text('cbc:RegistrationName', p.name), text('cbc:CompanyID', p.registrationId)]),
      p.email === null && p.phone === null
        ? null
        : el('cac:Contact', [text('cbc:Telephone', p.phone), text('cbc:ElectronicMail', p.email)]),
    ]),
  ]);
}

function taxCategory(wrapper: string, invoice: EInvoice): XmlElement {
  return el(wrapper, [
    text('cbc:ID', invoice.vat.categoryCode),
    text('cbc:Percent', invoice.vat.percent),
    el('cac:TaxScheme', [text('cbc:ID', 'VAT')]),
  ]);
}

/** The e-invoice as a UBL 2.1 document. */
export function ublDocument(invoice: EInvoice): string {
  const credit = invoice.typeCode === '381';
  const currency = invoice.currency;
  const lines = invoice.lines.map((line) =>
    el(credit ? 'cac:CreditNoteLine' : 'cac:InvoiceLine', [
      text('cbc:ID', line.id),
      text(credit ? 'cbc:CreditedQuantity' : 'cbc:InvoicedQuantity', line.quantity, { unitCode: line.unitCode }),
      money('cbc:LineExtensionAmount', line.netAmount, currency),
      el('cac:Item', [
        text('cbc:Name', line.name),
        taxCategory('cac:ClassifiedTaxCategory', invoice),
        line.meter === null
          ? null
          : el('cac:AdditionalItemProperty', [text('cbc:Name', 'Meter'), text('cbc:Value', line.meter)]),
      ]),
      el('cac:Price', [money('cbc:PriceAmount', line.price, currency)]),
    ]),
  );
  const root = el(
    credit ? 'CreditNote' : 'Invoice',
    [
      text('cbc:CustomizationID', EN16931_SPECIFICATION),
      text('cbc:ID', invoice.number),
      text('cbc:IssueDate', invoice.issueDate),
      text(credit ? 'cbc:CreditNoteTypeCode' : 'cbc:InvoiceTypeCode', invoice.typeCode),
      ...invoice.notes.map((note) => text('cbc:Note', note)),
      text('cbc:DocumentCurrencyCode', currency),
      text('cbc:BuyerReference', invoice.buyerReference),
      el('cac:InvoicePeriod', [text('cbc:StartDate', invoice.period.start), text('cbc:EndDate', invoice.period.end)]),
      invoice.precedingInvoice === null
        ? null
        : el('cac:BillingReference', [el('cac:InvoiceDocumentReference', [text('cbc:ID', invoice.precedingInvoice)])]),
      party('cac:AccountingSupplierParty', invoice.seller),
      party('cac:AccountingCustomerParty', invoice.buyer),
      invoice.payment === null
        ? null
        : el('cac:PaymentMeans', [
            text('cbc:PaymentMeansCode', invoice.payment.meansCode),
            text('cbc:PaymentID', invoice.payment.remittance),
            el('cac:PayeeFinancialAccount', [
              text('cbc:ID', invoice.payment.iban),
              invoice.payment.bic === null
                ? null
                : el('cac:FinancialInstitutionBranch', [text('cbc:ID', invoice.payment.bic)]),
            ]),
          ]),
      el('cac:PaymentTerms', [text('cbc:Note', invoice.paymentTerms)]),
      el('cac:TaxTotal', [
        money('cbc:TaxAmount', invoice.totals.tax, currency),
        el('cac:TaxSubtotal', [
          money('cbc:TaxableAmount', invoice.vat.taxableAmount, currency),
          money('cbc:TaxAmount', invoice.vat.taxAmount, currency),
          taxCategory('cac:TaxCategory', invoice),
        ]),
      ]),
      el('cac:LegalMonetaryTotal', [
        money('cbc:LineExtensionAmount', invoice.totals.lineTotal, currency),
        money('cbc:TaxExclusiveAmount', invoice.totals.taxExclusive, currency),
        money('cbc:TaxInclusiveAmount', invoice.totals.taxInclusive, currency),
        money('cbc:PayableAmount', invoice.totals.payable, currency),
      ]),
      ...lines,
    ],
    {
      xmlns: credit ? UBL_NAMESPACES.creditNote : UBL_NAMESPACES.invoice,
      'xmlns:cac': UBL_NAMESPACES.cac,
      'xmlns:cbc': UBL_NAMESPACES.cbc,
    },
  );
  return renderXml(root);
}
