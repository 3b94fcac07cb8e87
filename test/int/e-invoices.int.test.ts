/**
 * E-invoices end to end: every document this month's billing issues (a FIXED tariff with time-of-use
 * rates and a tariff change, a DYNAMIC tariff with margin, floor and export credits, a meter moved
 * mid-month, a zero-VAT account, a credit note and its replacement, an invoice issued before the supplier
 * was set) is fetched in UBL and CII, checked against the EN 16931 rules (test/support/en16931.ts), its
 * totals compared with GraphQL's, and every CII validated with xmllint against the Factur-X EN 16931 XSD.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrices, generateReadings } from '../../src/tools/readings-generator';
import { checkEn16931 } from '../support/en16931';
import { graphql, startTestServer, type TestServer, uploadFile } from '../support/test-server';

const MONTH = '2026-10';
const TZ = 'Europe/Berlin';
const XSD = join(__dirname, '../fixtures/e-invoice/factur-x-1.07.3-en16931/Factur-X_1.07.3_EN16931.xsd');
const UPLOAD = `mutation($file: Upload!) { uploadReadings(file: $file) { status position } }`;
const IMPORT_PRICES = `mutation($file: Upload!) { importPrices(file: $file) { position } }`;
const DOC_FIELDS = `number kind account total subtotal vat credits replaces eInvoiceGaps
  ubl: eInvoiceUrl cii: eInvoiceUrl(syntax: CII) lines { kind amount }
  seller { legalName vatId } buyer { name billing { vatId address { countryCode } } }`;

const SUPPLIER = {
  legalName: 'Stadtwerke Nord GmbH',
  vatId: 'DE123456789',
  address: { street: 'Hafenstraße 1', city: 'Hamburg', postalCode: '20457', countryCode: 'DE' },
  registrationId: 'HRB 12345',
  iban: 'DE89 3704 0044 0532 0130 00',
  bic: 'COBADEFFXXX',
  email: 'billing@stadtwerke-nord.example',
  paymentTerms: 'Payable within 14 days of the issue date.',
};
const billing = (countryCode: string, vatId: string | null) => ({
  address: { street: 'Ring 7', city: 'Köln', postalCode: '50667', countryCode },
  vatId,
  buyerReference: 'PO-2026-17',
  email: 'ap@customer.example',
});

function xmllint(): boolean {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
// CI installs xmllint (libxml2-utils); a machine without it skips the schema check only, and says so.
const HAS_XMLLINT = xmllint();
if (!HAS_XMLLINT && process.env.CI === 'true') throw new Error('CI must have xmllint (Debian libxml2-utils)');

let t: TestServer;
let base = '';
const scratch = mkdtempSync(join(tmpdir(), 'e-invoices-'));

const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const response = await graphql(t.url, query, variables);
  if (response.errors !== undefined) throw new Error(JSON.stringify(response.errors));
  return response.data as Record<string, any>;
};
const createAccount = (input: Record<string, unknown>) =>
  gql(`mutation($input: AccountInput!) { createAccount(input: $input) { id billing { vatId } } }`, { input });
const assign = (account: string, meter: string, from: string) =>
  gql(`mutation($a: ID!, $m: ID!, $f: String!) { assignMeter(account: $a, meter: $m, from: $f) { id } }`, {
    a: account,
    m: meter,
    f: from,
  });
const issue = async (accounts: string[]) =>
  (
    await gql(
      `mutation($m: String!, $a: [ID!]) { issueInvoices(month: $m, accounts: $a) { issued { ${DOC_FIELDS} } } }`,
      {
        m: MONTH,
        a: accounts,
      },
    )
  ).issueInvoices.issued as Array<Record<string, any>>;
const correct = async (number: string) =>
  (
    await gql(
      `mutation($n: String!) { issueCorrection(invoiceNumber: $n) { creditNote { ${DOC_FIELDS} } invoice { ${DOC_FIELDS} } } }`,
      { n: number },
    )
  ).issueCorrection as { creditNote: Record<string, any>; invoice: Record<string, any> };

const negate = (amount: string) =>
  /^-?0\.00$/.test(amount) ? '0.00' : amount.startsWith('-') ? amount.slice(1) : `-${amount}`;

/** Fetches a document's e-invoice in a syntax, checks it, and compares its totals with GraphQL's. */
async function checkedEInvoice(doc: Record<string, any>, syntax: 'ubl' | 'cii'): Promise<string> {
  const response = await fetch(`${base}${doc[syntax]}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/xml; charset=utf-8');
  const xml = await response.text();
  const { invoice, violations } = checkEn16931(xml);
  expect({ number: doc.number, syntax, violations }).toEqual({ number: doc.number, syntax, violations: [] });
  // A credit note states what it credits as positive amounts; GraphQL keeps them negative.
  const sign = doc.kind === 'CREDIT_NOTE' ? negate : (a: string) => a;
  expect(invoice).toMatchObject({
    number: doc.number,
    typeCode: doc.kind === 'CREDIT_NOTE' ? '381' : '380',
    precedingInvoice: doc.credits ?? doc.replaces,
    period: { start: '2026-10-01', end: '2026-10-31' },
    totals: {
      lineTotal: sign(doc.subtotal),
      tax: sign(doc.vat),
      taxInclusive: sign(doc.total),
      payable: sign(doc.total),
    },
  });
  expect(invoice!.lines.map((l) => l.netAmount)).toEqual(doc.lines.map((l: { amount: string }) => sign(l.amount)));
  if (syntax === 'cii' && HAS_XMLLINT) {
    const file = join(scratch, `${doc.number}.xml`);
    writeFileSync(file, xml);
    // Throws (exit status 1..) with xmllint's message when the document does not validate.
    execFileSync('xmllint', ['--noout', '--schema', XSD, file], { stdio: 'pipe' });
  }
  return xml;
}

beforeAll(async () => {
  t = await startTestServer({ BILLING_TZ: TZ });
  base = t.url.replace(/\/graphql$/, '');
  const readings = [...generateReadings({ month: MONTH, meters: 4, seed: 5, timeZone: TZ, withExport: true })];
  const upload = await uploadFile(t.url, `${readings.join('\n')}\n`, 'october.csv', { query: UPLOAD });
  expect(upload.data).toMatchObject({ uploadReadings: { status: 'VALIDATED' } });
  const prices = [...generatePrices({ month: MONTH, timeZone: TZ, seed: 9 })].join('\n');
  await uploadFile(t.url, prices, 'prices.csv', { query: IMPORT_PRICES });

  // Before the supplier is set: an account without billing details, issued at once.
  await createAccount({
    id: 'ACC-EARLY',
    name: 'Early Bird KG',
    vatRate: '0.19',
    tariff: { kind: 'FIXED', unitPriceEurMwh: '140', standingChargePerDay: '0.2' },
  });
  await assign('ACC-EARLY', 'MP000004', '2026-10-01');
}, 120_000);

afterAll(async () => {
  await t?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('EN 16931 e-invoices', () => {
  let early: Record<string, any>;

  it('issues without an e-invoice while the supplier and the billing address are missing, and says how to mend it', async () => {
    early = (await issue(['ACC-EARLY']))[0]!;
    expect(early!.seller).toBeNull();
    expect(early!.eInvoiceGaps).toEqual([
      expect.stringContaining("the supplier's details were not set"),
      expect.stringContaining('account ACC-EARLY had no billing address'),
    ]);
    const response = await fetch(`${base}${early!.ubl}`);
    expect(response.status).toBe(409);
    const body = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('CONFLICT');
    expect(body.errors[0]!.message).toContain('setSupplier');
    expect(body.errors[0]!.message).toContain(`issueCorrection(invoiceNumber: "${early!.number}")`);
    expect((await fetch(`${base}/invoices/${early!.number}.xml?syntax=pdf`)).status).toBe(400);
    const page = await (await fetch(`${base}/invoices/${early!.number}.html`)).text();
    expect(page).toContain('No supplier details were set when this document was issued.');
    expect(page).toContain('No e-invoice: ');
  });

  it('serves every document of the month in UBL and CII, each passing the EN 16931 checks with GraphQL totals', async () => {
    await gql(`mutation($s: SupplierInput!) { setSupplier(input: $s) { vatId } }`, { s: SUPPLIER });
    const created = await createAccount({
      id: 'ACC-TOU',
      name: 'Müller & Söhne <GmbH>',
      vatRate: '0.19',
      tariff: {
        kind: 'FIXED',
        unitPriceEurMwh: '120',
        standingChargePerDay: '0.45',
        rates: [
          {
            name: 'Peak',
            days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'],
            from: '08:00',
            to: '20:00',
            unitPriceEurMwh: '220',
          },
        ],
      },
      billing: billing('DE', 'de 987 654 321'),
    });
    expect(created.createAccount.billing).toEqual({ vatId: 'DE987654321' });
    await gql(
      `mutation($t: TariffInput!) { changeTariff(account: "ACC-TOU", from: "2026-10-20", tariff: $t) { id } }`,
      { t: { kind: 'FIXED', unitPriceEurMwh: '130', standingChargePerDay: '0.45' } },
    );
    await createAccount({
      id: 'ACC-DYN',
      name: 'Dynamo Werke AG',
      vatRate: '0.19',
      tariff: {
        kind: 'DYNAMIC',
        factor: '1',
        marginEurMwh: '15',
        floorEurMwh: '0',
        standingChargePerDay: '0.3',
        export: { kind: 'FIXED', unitPriceEurMwh: '80' },
      },
    });
    const set = await gql(
      `mutation($b: BillingDetailsInput!) { setBillingDetails(account: "ACC-DYN", billing: $b) { billing { address { city } } } }`,
      { b: billing('AT', 'ATU12345678') },
    );
    expect(set.setBillingDetails.billing).toEqual({ address: { city: 'Köln' } });
    await createAccount({
      id: 'ACC-ZERO',
      name: 'Zero Rated Ltd',
      vatRate: '0',
      tariff: { kind: 'FIXED', unitPriceEurMwh: '150', standingChargePerDay: '0.25' },
      billing: billing('IE', null),
    });
    await assign('ACC-TOU', 'MP000001', '2026-10-01');
    await assign('ACC-DYN', 'MP000002', '2026-10-01');
    await assign('ACC-ZERO', 'MP000003', '2026-10-01');
    await assign('ACC-ZERO', 'MP000002', '2026-10-15'); // moved mid-month

    const issued = await issue(['ACC-TOU', 'ACC-DYN', 'ACC-ZERO']);
    expect(issued.map((d) => d.account)).toEqual(['ACC-DYN', 'ACC-TOU', 'ACC-ZERO']);
    const kinds = (d: Record<string, any>) => d.lines.map((l: { kind: string }) => l.kind);
    expect(kinds(issued[0]!)).toEqual(expect.arrayContaining(['ENERGY', 'MARGIN', 'EXPORT', 'STANDING_CHARGE']));
    expect(kinds(issued[1]!).filter((k: string) => k === 'ENERGY')).toHaveLength(3); // peak, other hours, then 130
    for (const doc of issued) {
      expect(doc.eInvoiceGaps).toEqual([]);
      expect(doc.seller).toEqual({ legalName: SUPPLIER.legalName, vatId: 'DE123456789' });
      for (const syntax of ['ubl', 'cii'] as const) await checkedEInvoice(doc, syntax);
    }
    const tou = await checkedEInvoice(issued[1]!, 'ubl');
    expect(tou).toContain('<cbc:RegistrationName>Müller &amp; Söhne &lt;GmbH&gt;</cbc:RegistrationName>');
    expect(checkEn16931(tou).invoice!.buyer).toEqual({
      name: 'Müller & Söhne <GmbH>',
      countryCode: 'DE',
      vatId: 'DE987654321',
    });
    // The page shows who it is from and to, the VAT breakdown and the e-invoice links.
    const page = await (await fetch(`${base}/invoices/${issued[1]!.number}.html`)).text();
    expect(page).toContain('<strong>Stadtwerke Nord GmbH</strong>');
    expect(page).toContain('<strong>Müller &amp; Söhne &lt;GmbH&gt;</strong>');
    expect(page).toContain('VAT DE987654321');
    expect(page).toContain(
      `<td>S (standard rated)</td><td class="n">19 %</td><td class="n">${issued[1]!.subtotal}</td>`,
    );
    expect(page).toContain(`href="/invoices/${issued[1]!.number}.xml?syntax=cii"`);
    const zero = checkEn16931(await checkedEInvoice(issued[2]!, 'cii')).invoice!;
    expect(zero.breakdown).toEqual([{ taxable: issued[2]!.subtotal, tax: '0.00', categoryCode: 'Z', percent: '0' }]);
  });

  it('serves a credit note and its replacement after a late reading, and reissues the early invoice with its parties', async () => {
    const zero = (await gql(`{ invoicesByAccount(account: "ACC-ZERO", lastMonths: 120) { number } }`))
      .invoicesByAccount[0].number as string;
    const late = ['metering_point_id,timestamp,kwh', 'MP000003,2026-10-10T12:00:00+02:00,9.5'].join('\n');
    const upload = await uploadFile(t.url, `${late}\n`, 'late.csv', { query: UPLOAD });
    await t.server.services!.consistency.waitForPosition(upload.data!.uploadReadings.position, 30_000);
    const { creditNote, invoice } = await correct(zero);
    expect(creditNote).toMatchObject({ kind: 'CREDIT_NOTE', credits: zero, eInvoiceGaps: [] });
    expect(invoice).toMatchObject({ kind: 'INVOICE', replaces: zero, eInvoiceGaps: [] });
    for (const doc of [creditNote, invoice])
      for (const syntax of ['ubl', 'cii'] as const) await checkedEInvoice(doc, syntax);

    // The early invoice's lines did not change, but its parties did: a correction reissues it with them.
    await gql(`mutation($b: BillingDetailsInput!) { setBillingDetails(account: "ACC-EARLY", billing: $b) { id } }`, {
      b: billing('NL', 'NL123456789B01'),
    });
    const reissued = await correct(early.number);
    expect(reissued.invoice.total).toBe(early.total);
    expect(reissued.invoice.buyer).toEqual({
      name: 'Early Bird KG',
      billing: { vatId: 'NL123456789B01', address: { countryCode: 'NL' } },
    });
    for (const doc of [reissued.creditNote, reissued.invoice])
      for (const syntax of ['ubl', 'cii'] as const) await checkedEInvoice(doc, syntax);
  });

  it('answers CONFLICT for a document issued before invoices recorded their parties (version 1 still replays)', async () => {
    const { position } = await t.server.services!.eventStore.appendToStream(
      'invoices-2001',
      [
        {
          id: '6f9619ff-8b86-4d11-b42d-00c04fc964ff',
          type: 'InvoiceIssued',
          data: {
            number: '2001-000001',
            accountId: 'ACC-TOU',
            accountName: 'Müller & Söhne <GmbH>',
            month: '2001-01',
            currency: 'EUR',
            vatRate: '0.19',
            lines: [],
            subtotal: '0.00',
            vat: '0.00',
            total: '0.00',
            meters: [],
            draftStatus: 'COMPLETE',
            issuedAt: '2001-02-01T09:00:00.000Z',
            replaces: null,
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    await t.server.services!.consistency.waitForPosition(position, 30_000);
    const old = (await gql(`{ issuedInvoice(number: "2001-000001") { ${DOC_FIELDS} } }`)).issuedInvoice;
    expect(old.seller).toBeNull();
    expect(old.buyer).toBeNull();
    expect(old.eInvoiceGaps).toEqual([
      expect.stringContaining('was issued before invoices recorded their seller and buyer'),
    ]);
    const response = await fetch(`${base}${old.cii}`);
    expect(response.status).toBe(409);
    expect(await response.text()).toContain('2001-000001 was issued before invoices recorded');
  });
});
