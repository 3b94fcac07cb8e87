/**
 * An EN 16931 invoice in UN/CEFACT Cross Industry Invoice D16B (`rsm:CrossIndustryInvoice`), the syntax
 * of Factur-X and ZUGFeRD. Element order follows the schema; tests validate against the Factur-X
 * EN 16931 profile's XSD (a restriction of CII D16B) with xmllint.
 */
import { EN16931_SPECIFICATION, type EInvoice, type EInvoiceParty } from '../../domain/accounts/e-invoice';
import { el, renderXml, text, type XmlElement } from './xml';

export const CII_NAMESPACES = {
  rsm: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
  ram: 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
  qdt: 'urn:un:unece:uncefact:data:standard:QualifiedDataType:100',
  udt: 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100',
} as const;

/** A date as CII writes it: format 102, YYYYMMDD. */
const date = (name: string, iso: string): XmlElement =>
  el(name, [text('udt:DateTimeString', iso.replaceAll('-', ''), { format: '102' })]);

function tradeParty(wrapper: string, p: EInvoiceParty): XmlElement {
  return el(wrapper, [
    text('ram:Name', p.name),
    p.registrationId === null ? null : el('ram:SpecifiedLegalOrganization', [text('ram:ID', p.registrationId)]),
    p.email === null && p.phone === null
      ? null
      : el('ram:DefinedTradeContact', [
          p.phone === null ? null : el('ram:TelephoneUniversalCommunication', [text('ram:CompleteNumber', p.phone)]),
          p.email === null ? null : el('ram:EmailURIUniversalCommunication', [text('ram:URIID', p.email)]),
        ]),
    el('ram:PostalTradeAddress', [
      text('ram:PostcodeCode', p.address.postalCode),
      text('ram:LineOne', p.address.street),
      text('ram:CityName', p.address.city),
      text('ram:CountryID', p.address.countryCode),
    ]),
    p.email === null ? null : el('ram:URIUniversalCommunication', [text('ram:URIID', p.email, { schemeID: 'EM' })]),
    p.vatId === null ? null : el('ram:SpecifiedTaxRegistration', [text('ram:ID', p.vatId, { schemeID: 'VA' })]),
  ]);
}

/** The e-invoice as a CII D16B document. */
export function ciiDocument(invoice: EInvoice): string {
  const currency = invoice.currency;
  const lines = invoice.lines.map((line) =>
    el('ram:IncludedSupplyChainTradeLineItem', [
      el('ram:AssociatedDocumentLineDocument', [text('ram:LineID', line.id)]),
      el('ram:SpecifiedTradeProduct', [
        text('ram:Name', line.name),
        line.meter === null
          ? null
          : el('ram:ApplicableProductCharacteristic', [
              text('ram:Description', 'Meter'),
              text('ram:Value', line.meter),
            ]),
      ]),
      el('ram:SpecifiedLineTradeAgreement', [
        el('ram:NetPriceProductTradePrice', [text('ram:ChargeAmount', line.price)]),
      ]),
      el('ram:SpecifiedLineTradeDelivery', [text('ram:BilledQuantity', line.quantity, { unitCode: line.unitCode })]),
      el('ram:SpecifiedLineTradeSettlement', [
        el('ram:ApplicableTradeTax', [
          text('ram:TypeCode', 'VAT'),
          text('ram:CategoryCode', invoice.vat.categoryCode),
          text('ram:RateApplicablePercent', invoice.vat.percent),
        ]),
        el('ram:SpecifiedTradeSettlementLineMonetarySummation', [text('ram:LineTotalAmount', line.netAmount)]),
      ]),
    ]),
  );
  const root = el(
    'rsm:CrossIndustryInvoice',
    [
      el('rsm:ExchangedDocumentContext', [
        el('ram:GuidelineSpecifiedDocumentContextParameter', [text('ram:ID', EN16931_SPECIFICATION)]),
      ]),
      el('rsm:ExchangedDocument', [
        text('ram:ID', invoice.number),
        text('ram:TypeCode', invoice.typeCode),
        date('ram:IssueDateTime', invoice.issueDate),
        ...invoice.notes.map((note) => el('ram:IncludedNote', [text('ram:Content', note)])),
      ]),
      el('rsm:SupplyChainTradeTransaction', [
        ...lines,
        el('ram:ApplicableHeaderTradeAgreement', [
          text('ram:BuyerReference', invoice.buyerReference),
          tradeParty('ram:SellerTradeParty', invoice.seller),
          tradeParty('ram:BuyerTradeParty', invoice.buyer),
        ]),
        el('ram:ApplicableHeaderTradeDelivery', []),
        el('ram:ApplicableHeaderTradeSettlement', [
          invoice.payment === null ? null : text('ram:PaymentReference', invoice.payment.remittance),
          text('ram:InvoiceCurrencyCode', currency),
          invoice.payment === null
            ? null
            : el('ram:SpecifiedTradeSettlementPaymentMeans', [
                text('ram:TypeCode', invoice.payment.meansCode),
                el('ram:PayeePartyCreditorFinancialAccount', [text('ram:IBANID', invoice.payment.iban)]),
                invoice.payment.bic === null
                  ? null
                  : el('ram:PayeeSpecifiedCreditorFinancialInstitution', [text('ram:BICID', invoice.payment.bic)]),
              ]),
          el('ram:ApplicableTradeTax', [
            text('ram:CalculatedAmount', invoice.vat.taxAmount),
            text('ram:TypeCode', 'VAT'),
            text('ram:BasisAmount', invoice.vat.taxableAmount),
            text('ram:CategoryCode', invoice.vat.categoryCode),
            text('ram:RateApplicablePercent', invoice.vat.percent),
          ]),
          el('ram:BillingSpecifiedPeriod', [
            date('ram:StartDateTime', invoice.period.start),
            date('ram:EndDateTime', invoice.period.end),
          ]),
          el('ram:SpecifiedTradePaymentTerms', [text('ram:Description', invoice.paymentTerms)]),
          el('ram:SpecifiedTradeSettlementHeaderMonetarySummation', [
            text('ram:LineTotalAmount', invoice.totals.lineTotal),
            text('ram:TaxBasisTotalAmount', invoice.totals.taxExclusive),
            text('ram:TaxTotalAmount', invoice.totals.tax, { currencyID: currency }),
            text('ram:GrandTotalAmount', invoice.totals.taxInclusive),
            text('ram:DuePayableAmount', invoice.totals.payable),
          ]),
          invoice.precedingInvoice === null
            ? null
            : el('ram:InvoiceReferencedDocument', [text('ram:IssuerAssignedID', invoice.precedingInvoice)]),
        ]),
      ]),
    ],
    {
      'xmlns:rsm': CII_NAMESPACES.rsm,
      'xmlns:qdt': CII_NAMESPACES.qdt,
      'xmlns:ram': CII_NAMESPACES.ram,
      'xmlns:udt': CII_NAMESPACES.udt,
    },
  );
  return renderXml(root);
}
