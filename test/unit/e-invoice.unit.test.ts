import { creditContent } from '../../src/domain/accounts/draft-invoice';
import { eInvoiceGaps, eInvoiceOf } from '../../src/domain/accounts/e-invoice';
import type { IssuedDocumentData, IssuedParties } from '../../src/domain/accounts/events';
import { validateBilling } from '../../src/domain/accounts/parties';
import { validateSupplier } from '../../src/domain/accounts/supplier';
import { renderEInvoice } from '../../src/views/e-invoice';
import { escapeXml } from '../../src/views/e-invoice/xml';
import { checkEn16931 } from '../support/en16931';

const seller = validateSupplier({
  legalName: 'Stadtwerke Nord GmbH',
  vatId: 'DE123456789',
  address: { street: 'Hafenstraße 1', city: 'Hamburg', postalCode: '20457', countryCode: 'DE' },
  registrationId: 'HRB 12345',
  iban: 'DE89370400440532013000',
  bic: 'COBADEFFXXX',
  email: 'billing@stadtwerke-nord.example',
  paymentTerms: 'Payable within 14 days.',
});
const parties: IssuedParties = {
  seller,
  buyer: {
    name: 'Müller & Söhne <GmbH>',
    billing: validateBilling({
      address: { street: 'Ring "7"', city: "Köln's Mitte", postalCode: '50667', countryCode: 'DE' },
      vatId: 'DE987654321',
      buyerReference: '04011000-12345-67',
      email: 'ap@mueller.example',
    }),
  },
};

/** An invoice with every kind of line: energy per rate, a margin, an export credit, standing charges. */
const invoice: IssuedDocumentData & { kind: 'INVOICE'; replaces: null; credits: null } = {
  kind: 'INVOICE',
  replaces: null,
  credits: null,
  number: '2026-000007',
  accountId: 'ACC-1',
  accountName: 'Müller & Söhne <GmbH>',
  month: '2026-10',
  currency: 'EUR',
  vatRate: '0.19',
  lines: [
    {
      meter: 'M1',
      kind: 'ENERGY',
      description: 'Energy Peak',
      quantity: '312.5',
      unit: 'kWh',
      unitPrice: '0.22',
      amount: '68.75',
    },
    {
      meter: 'M1',
      kind: 'ENERGY',
      description: 'Energy other hours',
      quantity: '401.125',
      unit: 'kWh',
      unitPrice: '0.12',
      amount: '48.14',
    },
    {
      meter: 'M2',
      kind: 'MARGIN',
      description: 'Margin',
      quantity: '100',
      unit: 'kWh',
      unitPrice: '-0.005',
      amount: '-0.50',
    },
    {
      meter: 'M2',
      kind: 'EXPORT',
      description: 'Export credited',
      quantity: '80.25',
      unit: 'kWh',
      unitPrice: '-0.08',
      amount: '-6.42',
    },
    {
      meter: 'M1',
      kind: 'STANDING_CHARGE',
      description: 'Standing charge',
      quantity: '31',
      unit: 'day',
      unitPrice: '0.43',
      amount: '13.33',
    },
  ],
  subtotal: '123.30',
  vat: '23.43',
  total: '146.73',
  meters: [{ meter: 'M1', kwh: '713.625', days: 31 }],
  draftStatus: 'COMPLETE',
  issuedAt: '2026-11-02T09:00:00.000Z',
  parties,
};

function xmlOf(doc: Parameters<typeof renderEInvoice>[0], syntax: 'ubl' | 'cii'): string {
  const answer = renderEInvoice(doc, '2026-11-02', syntax);
  if (!('xml' in answer)) throw new Error(answer.gaps.join('; '));
  return answer.xml;
}

describe('EN 16931 e-invoices', () => {
  it.each(['ubl', 'cii'] as const)('writes an invoice in %s that passes the checks and states its totals', (syntax) => {
    const { invoice: read, violations } = checkEn16931(xmlOf(invoice, syntax));
    expect(violations).toEqual([]);
    expect(read).toMatchObject({
      number: '2026-000007',
      typeCode: '380',
      issueDate: '2026-11-02',
      currency: 'EUR',
      buyerReference: '04011000-12345-67',
      period: { start: '2026-10-01', end: '2026-10-31' },
      seller: { name: 'Stadtwerke Nord GmbH', countryCode: 'DE', vatId: 'DE123456789' },
      buyer: { name: 'Müller & Söhne <GmbH>', countryCode: 'DE', vatId: 'DE987654321' },
      paymentMeansCode: '58',
      iban: 'DE89370400440532013000',
      paymentTerms: 'Payable within 14 days.',
      totals: { lineTotal: '123.30', taxExclusive: '123.30', tax: '23.43', taxInclusive: '146.73', payable: '146.73' },
      breakdown: [{ taxable: '123.30', tax: '23.43', categoryCode: 'S', percent: '19' }],
    });
    // Credits have a negative quantity and a positive price (BR-27); days are DAY, energy KWH.
    expect(read!.lines.map((l) => [l.quantity, l.unitCode, l.price, l.netAmount])).toEqual([
      ['312.5', 'KWH', '0.22', '68.75'],
      ['401.125', 'KWH', '0.12', '48.14'],
      ['-100', 'KWH', '0.005', '-0.50'],
      ['-80.25', 'KWH', '0.08', '-6.42'],
      ['31', 'DAY', '0.43', '13.33'],
    ]);
  });

  it('escapes names and addresses, whatever characters they hold', () => {
    const xml = xmlOf(invoice, 'ubl');
    expect(xml).toContain('Müller &amp; Söhne &lt;GmbH&gt;');
    expect(xml).toContain('Ring &quot;7&quot;');
    expect(xml).not.toContain('<GmbH>');
    expect(escapeXml('a\u0001b\u0008c & d')).toBe('abc &amp; d');
  });

  it.each(['ubl', 'cii'] as const)('writes the credit note cancelling it in %s, amounts as credited', (syntax) => {
    const credit = {
      ...creditContent(invoice, '2026-000008', '2026-11-20T10:00:00Z', parties),
      kind: 'CREDIT_NOTE' as const,
      replaces: null,
      credits: invoice.number,
    };
    const { invoice: read, violations } = checkEn16931(xmlOf(credit, syntax));
    expect(violations).toEqual([]);
    expect(read).toMatchObject({
      typeCode: '381',
      precedingInvoice: '2026-000007',
      totals: { lineTotal: '123.30', tax: '23.43', payable: '146.73' },
    });
    expect(read!.lines.map((l) => l.netAmount)).toEqual(['68.75', '48.14', '-0.50', '-6.42', '13.33']);
    if (syntax === 'ubl') {
      const swapped = xmlOf(credit, syntax).replace(
        /(<cbc:CreditedQuantity[^>]*>[^<]+<\/cbc:CreditedQuantity>)\s*(<cbc:LineExtensionAmount[^>]*>[^<]+<\/cbc:LineExtensionAmount>)/,
        '$2$1',
      );
      expect(checkEn16931(swapped).violations).toEqual([expect.stringContaining('out of order in cac:CreditNoteLine')]);
    }
  });

  it('bills a zero-VAT account under category Z at 0 %', () => {
    const zero = { ...invoice, vatRate: '0', vat: '0.00', total: '123.30' };
    for (const syntax of ['ubl', 'cii'] as const) {
      const { invoice: read, violations } = checkEn16931(xmlOf(zero, syntax));
      expect(violations).toEqual([]);
      expect(read!.breakdown).toEqual([{ taxable: '123.30', tax: '0.00', categoryCode: 'Z', percent: '0' }]);
    }
  });

  it('names what a document lacks for an e-invoice and how to mend it', () => {
    const { parties: _none, ...v1 } = invoice;
    expect(eInvoiceGaps(v1)).toEqual([expect.stringContaining('2026-000007 was issued before invoices recorded')]);
    expect(eInvoiceGaps(v1)[0]).toContain('issueCorrection(invoiceNumber: "2026-000007")');
    const noSeller = { ...invoice, parties: { ...parties, seller: null } };
    expect(eInvoiceGaps(noSeller)).toEqual([expect.stringContaining('setSupplier')]);
    const noBilling = { ...invoice, parties: { ...parties, buyer: { name: 'X', billing: null } } };
    expect(eInvoiceOf(noBilling, '2026-11-02')).toEqual({ gaps: [expect.stringContaining('setBillingDetails')] });
    expect(eInvoiceGaps(invoice)).toEqual([]);
  });

  describe('the checker itself finds what is wrong', () => {
    const ubl = xmlOf(invoice, 'ubl');
    const cii = xmlOf(invoice, 'cii');
    it('a line amount that does not add up (BR-CO-10, BR-S-08)', () => {
      const tampered = ubl.replace('>68.75<', '>68.76<');
      expect(checkEn16931(tampered).violations).toEqual(
        expect.arrayContaining([expect.stringMatching(/^BR-CO-10/), expect.stringMatching(/^BR-S-08/)]),
      );
    });
    it('VAT not rounded from the taxable amount (BR-CO-17, BR-CO-14)', () => {
      const tampered = cii.replace('<ram:CalculatedAmount>23.43<', '<ram:CalculatedAmount>23.44<');
      expect(checkEn16931(tampered).violations).toEqual(
        expect.arrayContaining([expect.stringMatching(/^BR-CO-17/), expect.stringMatching(/^BR-CO-14/)]),
      );
    });
    it('a missing seller VAT identifier, a negative price, a wrong namespace, an element out of order', () => {
      expect(
        checkEn16931(
          cii.replace(
            /<ram:SpecifiedTaxRegistration>\s*<ram:ID schemeID="VA">DE123456789<\/ram:ID>\s*<\/ram:SpecifiedTaxRegistration>/,
            '',
          ),
        ).violations,
      ).toEqual([expect.stringMatching(/^BR-S-02/)]);
      expect(checkEn16931(ubl.replace('currencyID="EUR">0.08<', 'currencyID="EUR">-0.08<')).violations).toEqual([
        expect.stringMatching(/^BR-27/),
      ]);
      expect(checkEn16931(ubl.replace(/xmlns:cbc="[^"]+"/, 'xmlns:cbc="urn:wrong"')).violations).toEqual([
        'UBL: wrong cac/cbc namespace',
      ]);
      const swapped = ubl.replace(
        /(<cbc:IssueDate>[^<]+<\/cbc:IssueDate>)\s*(<cbc:InvoiceTypeCode>380<\/cbc:InvoiceTypeCode>)/,
        '$2$1',
      );
      expect(checkEn16931(swapped).violations).toEqual([expect.stringContaining('out of order')]);
      expect(checkEn16931('<Invoice><unclosed></Invoice>').violations[0]).toMatch(/^not well-formed/);
    });
  });
});
