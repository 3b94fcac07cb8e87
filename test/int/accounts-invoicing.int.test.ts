/**
 * Real invoices end to end: two accounts, a meter moving between them on the 15th, a tariff change on
 * the 20th, a negative-price hour and the October DST day (25 local hours in Europe/Sofia). Every line
 * is checked against a reference computed here straight from the two CSV files, reading by reading.
 */
import { generatePrices, generateReadings } from '../../src/tools/readings-generator';
import { graphql, startTestServer, type TestServer, uploadFile } from '../support/test-server';

const MONTH = '2026-10';
const TZ = 'Europe/Sofia';
const IMPORT_PRICES = `mutation($file: Upload!) { importPrices(file: $file) { position } }`;
const UPLOAD = `mutation($file: Upload!) { uploadReadings(file: $file) { status acceptedRows position } }`;
const LINE_FIELDS = 'meter kind description quantity unit unitPrice amount';
const DRAFTS = `query($month: String!, $atLeast: String) { draftInvoices(month: $month, atLeast: $atLeast) {
  account month status subtotal vat total missingDays unpricedIntervals issuedNumber pendingAdjustment
  meters { meter kwh days } lines { ${LINE_FIELDS} } } }`;
const ISSUED_FIELDS = `number kind account month subtotal vat total replaces credits creditedBy draftStatus lines { ${LINE_FIELDS} }`;

interface Tariff {
  from: string;
  kind: 'DYNAMIC' | 'FIXED';
  factor?: string;
  marginEurMwh?: string;
  unitPriceEurMwh?: string;
  standingChargePerDay: string;
}
interface AccountSpec {
  id: string;
  vatRate: string;
  tariffs: Tariff[];
  meters: Array<{ meter: string; from: string; to: string | null }>;
}

const ACCOUNTS: AccountSpec[] = [
  {
    id: 'ACC-A',
    vatRate: '0.20',
    tariffs: [
      { from: '0000-01-01', kind: 'DYNAMIC', factor: '1.1', marginEurMwh: '12.5', standingChargePerDay: '0.45' },
      { from: '2026-10-20', kind: 'DYNAMIC', factor: '1', marginEurMwh: '20', standingChargePerDay: '0.5' },
    ],
    meters: [
      { meter: 'MP000001', from: '2026-09-01', to: null },
      { meter: 'MP000002', from: '2026-10-01', to: '2026-10-14' },
    ],
  },
  {
    id: 'ACC-B',
    vatRate: '0.09',
    tariffs: [{ from: '0000-01-01', kind: 'FIXED', unitPriceEurMwh: '180', standingChargePerDay: '0.3' }],
    meters: [
      { meter: 'MP000002', from: '2026-10-15', to: null },
      { meter: 'MP000003', from: '2026-10-01', to: null },
    ],
  },
];

// ---- the reference: plain arithmetic over the files' rows ----

const micro = (text: string): bigint => {
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  const value = BigInt(whole!) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
  return text.startsWith('-') ? -value : value;
};
const round = (n: bigint, d: bigint): bigint => {
  const q = (n < 0n ? -n : n) / d;
  const r = (n < 0n ? -n : n) % d;
  const v = r * 2n >= d ? q + 1n : q;
  return n < 0n ? -v : v;
};
const cents = (c: bigint): string =>
  `${c < 0n ? '-' : ''}${(c < 0n ? -c : c) / 100n}.${String((c < 0n ? -c : c) % 100n).padStart(2, '0')}`;
const localDate = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });

interface Reading {
  meter: string;
  date: string;
  kwh: bigint;
  price: bigint;
}

function readingsOf(readingsCsv: string, pricesCsv: string): Reading[] {
  const prices = new Map<number, bigint>();
  for (const line of pricesCsv.trim().split('\n').slice(1)) {
    const [timestamp, price] = line.split(',');
    prices.set(Date.parse(timestamp!), micro(price!));
  }
  const latest = new Map<string, Reading>();
  for (const line of readingsCsv.trim().split('\n').slice(1)) {
    const [meter, timestamp, kwh] = line.split(',');
    const t = Date.parse(timestamp!);
    // A later file wins every reading it holds.
    latest.set(`${meter}@${t}`, {
      meter: meter!,
      date: localDate.format(t),
      kwh: micro(kwh!),
      price: prices.get(t - (t % 3_600_000))!,
    });
  }
  return [...latest.values()];
}

function referenceInvoice(
  spec: AccountSpec,
  readings: Reading[],
): { lines: string[]; subtotal: string; vat: string; total: string } {
  const days = Array.from({ length: 31 }, (_, i) => `2026-10-${String(i + 1).padStart(2, '0')}`);
  const tariffOn = (date: string) => [...spec.tariffs].reverse().find((t) => t.from <= date)!;
  const lines: Array<{ key: string; cents: bigint }> = [];
  for (const assignment of spec.meters) {
    const assigned = days.filter((d) => d >= assignment.from && (assignment.to === null || d <= assignment.to));
    for (const tariff of spec.tariffs) {
      const inTariff = assigned.filter((d) => tariffOn(d) === tariff);
      if (inTariff.length === 0) continue;
      const rows = readings.filter((r) => r.meter === assignment.meter && inTariff.includes(r.date));
      const kwh = rows.reduce((s, r) => s + r.kwh, 0n);
      const quantity = `${kwh / 1_000_000n}${
        kwh % 1_000_000n === 0n
          ? ''
          : `.${String(kwh % 1_000_000n)
              .padStart(6, '0')
              .replace(/0+$/, '')}`
      }`;
      const key = (kind: string, q: string) => `${assignment.meter} ${kind} ${q}`;
      if (tariff.kind === 'FIXED') {
        lines.push({ key: key('ENERGY', quantity), cents: round(kwh * micro(tariff.unitPriceEurMwh!), 10n ** 13n) });
      } else {
        const energy = rows.reduce((s, r) => s + r.kwh * r.price * micro(tariff.factor!), 0n);
        lines.push({ key: key('ENERGY', quantity), cents: round(energy, 10n ** 19n) });
        lines.push({ key: key('MARGIN', quantity), cents: round(kwh * micro(tariff.marginEurMwh!), 10n ** 13n) });
      }
      lines.push({
        key: key('STANDING_CHARGE', String(inTariff.length)),
        cents: round(BigInt(inTariff.length) * micro(tariff.standingChargePerDay), 10n ** 4n),
      });
    }
  }
  const subtotal = lines.reduce((s, l) => s + l.cents, 0n);
  const vat = round(subtotal * micro(spec.vatRate), 1_000_000n);
  return {
    lines: lines.map((l) => `${l.key} ${cents(l.cents)}`).sort(),
    subtotal: cents(subtotal),
    vat: cents(vat),
    total: cents(subtotal + vat),
  };
}

interface LineNode {
  meter: string;
  kind: string;
  quantity: string;
  amount: string;
}
const lineKeys = (lines: LineNode[]) => lines.map((l) => `${l.meter} ${l.kind} ${l.quantity} ${l.amount}`).sort();

describe('accounts, tariffs and issued invoices', () => {
  let t: TestServer;
  let readingsCsv = '';
  let pricesCsv = '';
  // Numbers run per year of the issue date in the billing time zone.
  const year = Number(new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric' }).format(new Date()));
  const number = (n: number) => `${year}-${String(n).padStart(6, '0')}`;

  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await graphql(t.url, query, variables);
    if (response.errors !== undefined) throw new Error(JSON.stringify(response.errors));
    return response.data as Record<string, any>;
  };
  /** The month's drafts, once the read models have seen `atLeast` (a mutation's position) when given. */
  const drafts = async (atLeast: string | null = null) => {
    const data = await gql(DRAFTS, { month: MONTH, atLeast });
    return new Map((data.draftInvoices as Array<Record<string, any>>).map((d) => [d.account as string, d]));
  };

  beforeAll(async () => {
    t = await startTestServer({ BILLING_TZ: TZ });
    readingsCsv = [...generateReadings({ month: MONTH, meters: 3, errorRate: 0, seed: 21, timeZone: TZ })].join('\n');
    const priceLines = [...generatePrices({ month: MONTH, timeZone: TZ, seed: 4 })];
    // A negative-price hour for sure: noon on the 16th.
    const noon = priceLines.findIndex((line) => line.startsWith('2026-10-16T12:00'));
    priceLines[noon] = `${priceLines[noon]!.split(',')[0]},-37.25`;
    pricesCsv = priceLines.join('\n');
    expect((await uploadFile(t.url, `${readingsCsv}\n`, 'october.csv', { query: UPLOAD })).data).toMatchObject({
      uploadReadings: { status: 'VALIDATED' },
    });
    await uploadFile(t.url, pricesCsv, 'prices.csv', { query: IMPORT_PRICES });

    for (const spec of ACCOUNTS) {
      const [opening, ...changes] = spec.tariffs;
      const { from: _from, ...tariff } = opening!;
      await gql(`mutation($input: AccountInput!) { createAccount(input: $input) { id } }`, {
        input: { id: spec.id, name: `Customer ${spec.id}`, vatRate: spec.vatRate, tariff },
      });
      for (const { from, ...change } of changes) {
        await gql(
          `mutation($a: ID!, $from: String!, $t: TariffInput!) { changeTariff(account: $a, from: $from, tariff: $t) { id } }`,
          {
            a: spec.id,
            from,
            t: change,
          },
        );
      }
    }
    // MP000002 is A's until B takes it over on the 15th: assigned open-ended to A, then moved.
    const assign = `mutation($a: ID!, $m: ID!, $from: String!, $to: String) { assignMeter(account: $a, meter: $m, from: $from, to: $to) { id meters { meter from to } } }`;
    await gql(assign, { a: 'ACC-A', m: 'MP000001', from: '2026-09-01' });
    await gql(assign, { a: 'ACC-A', m: 'MP000002', from: '2026-10-01' });
    await gql(assign, { a: 'ACC-B', m: 'MP000003', from: '2026-10-01' });
    const moved = await gql(assign, { a: 'ACC-B', m: 'MP000002', from: '2026-10-15' });
    expect(moved.assignMeter.meters).toEqual([
      { meter: 'MP000002', from: '2026-10-15', to: null },
      { meter: 'MP000003', from: '2026-10-01', to: null },
    ]);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('bills every line of both accounts as the reference does, to the cent', async () => {
    const readings = readingsOf(readingsCsv, pricesCsv);
    expect(readings.some((r) => r.price < 0n)).toBe(true);
    expect(readings.filter((r) => r.meter === 'MP000001' && r.date === '2026-10-25')).toHaveLength(100);
    const account = await gql(
      `{ account(id: "ACC-A") { meters { meter from to } tariffs { from tariff { kind factor } } } }`,
    );
    expect(account.account.meters).toEqual([
      { meter: 'MP000001', from: '2026-09-01', to: null },
      { meter: 'MP000002', from: '2026-10-01', to: '2026-10-14' },
    ]);
    const all = await drafts();
    for (const spec of ACCOUNTS) {
      const draft = all.get(spec.id)!;
      const expected = referenceInvoice(spec, readings);
      expect(draft.status).toBe('COMPLETE');
      expect(lineKeys(draft.lines)).toEqual(expected.lines);
      expect({ subtotal: draft.subtotal, vat: draft.vat, total: draft.total }).toEqual({
        subtotal: expected.subtotal,
        vat: expected.vat,
        total: expected.total,
      });
    }
    // A: MP000001 under two tariffs (3 lines each), MP000002 for 14 days (3 lines); B: 2 lines per meter.
    expect(all.get('ACC-A')!.lines).toHaveLength(9);
    expect(all.get('ACC-B')!.lines).toHaveLength(4);
    expect(all.get('ACC-B')!.meters).toEqual([
      { meter: 'MP000002', kwh: expect.any(String), days: 17 },
      { meter: 'MP000003', kwh: expect.any(String), days: 31 },
    ]);
  });

  it('issues with gapless unique numbers under concurrent issuers, and issuing again is a no-op', async () => {
    const issue = (accounts: string[] | null) =>
      gql(
        `mutation($m: String!, $a: [ID!]) { issueInvoices(month: $m, accounts: $a) { issued { ${ISSUED_FIELDS} } skipped { account reason } position } }`,
        {
          m: MONTH,
          a: accounts,
        },
      );
    const [a, b] = await Promise.all([issue(['ACC-A']), issue(['ACC-B'])]);
    const numbers = [...a.issueInvoices.issued, ...b.issueInvoices.issued]
      .map((i: { number: string }) => i.number)
      .sort();
    expect(numbers).toEqual([number(1), number(2)]);
    const again = await issue(null);
    expect(again.issueInvoices.issued).toEqual([]);
    expect(again.issueInvoices.skipped).toEqual([
      { account: 'ACC-A', reason: 'ALREADY_ISSUED' },
      { account: 'ACC-B', reason: 'ALREADY_ISSUED' },
    ]);
    const all = await drafts();
    for (const issued of [...a.issueInvoices.issued, ...b.issueInvoices.issued]) {
      const draft = all.get(issued.account)!;
      expect(lineKeys(issued.lines)).toEqual(lineKeys(draft.lines));
      expect(issued.total).toBe(draft.total);
      expect(draft.issuedNumber).toBe(issued.number);
      expect(draft.pendingAdjustment).toBeNull();
    }
  });

  it('corrects an issued invoice after late readings: credit note plus new invoice, differing by exactly the change', async () => {
    const before = (await drafts()).get('ACC-B')!;
    // A late file for MP000003 on the 10th: every reading doubled (the later file wins the readings it holds).
    const header = readingsCsv.split('\n')[0]!;
    const late = readingsCsv
      .split('\n')
      .filter(
        (line) => line.startsWith('MP000003,') && localDate.format(Date.parse(line.split(',')[1]!)) === '2026-10-10',
      )
      .map((line) => {
        const [meter, timestamp, kwh] = line.split(',');
        return `${meter},${timestamp},${(Number(kwh) * 2).toFixed(3)}`;
      });
    expect(late).toHaveLength(96);
    const lateCsv = [header, ...late].join('\n');
    const lateUpload = await uploadFile(t.url, `${lateCsv}\n`, 'late.csv', { query: UPLOAD });
    readingsCsv = `${readingsCsv}\n${late.join('\n')}`;

    const after = (await drafts(lateUpload.data!.uploadReadings.position)).get('ACC-B')!;
    const expected = referenceInvoice(ACCOUNTS[1]!, readingsOf(readingsCsv, pricesCsv));
    expect(after.total).toBe(expected.total);
    const difference = (Math.round(Number(expected.total) * 100) - Math.round(Number(before.total) * 100)) / 100;
    expect(after.pendingAdjustment).toBe(difference.toFixed(2));
    expect(after.issuedNumber).toBe(before.issuedNumber);

    const corrected = await gql(
      `mutation($n: String!) { issueCorrection(invoiceNumber: $n) { creditNote { ${ISSUED_FIELDS} } invoice { ${ISSUED_FIELDS} } } }`,
      { n: before.issuedNumber },
    );
    const { creditNote, invoice } = corrected.issueCorrection;
    expect([creditNote.number, invoice.number]).toEqual([number(3), number(4)]);
    expect(creditNote).toMatchObject({ kind: 'CREDIT_NOTE', credits: before.issuedNumber, total: `-${before.total}` });
    expect(invoice).toMatchObject({ kind: 'INVOICE', replaces: before.issuedNumber, total: expected.total });
    expect(lineKeys(invoice.lines)).toEqual(expected.lines);
    const sum = Math.round(Number(creditNote.total) * 100) + Math.round(Number(invoice.total) * 100);
    expect((sum / 100).toFixed(2)).toBe(after.pendingAdjustment);
    const original = await gql(`query($n: String!) { issuedInvoice(number: $n) { creditedBy } }`, {
      n: before.issuedNumber,
    });
    expect(original.issuedInvoice.creditedBy).toBe(number(3));
    const settled = (await drafts()).get('ACC-B')!;
    expect(settled).toMatchObject({ issuedNumber: number(4), pendingAdjustment: null });
    // A second correction of the cancelled invoice is refused.
    const twice = await graphql(
      t.url,
      `
        mutation ($n: String!) {
          issueCorrection(invoiceNumber: $n) {
            position
          }
        }
      `,
      {
        n: before.issuedNumber,
      },
    );
    expect(twice.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('serves an issued invoice as a self-contained page with its lines, meters and daily usage chart', async () => {
    const a = (await gql(`{ invoicesByAccount(account: "ACC-A", lastMonths: 120) { number total lines { amount } } }`))
      .invoicesByAccount[0];
    const response = await fetch(`${t.url.replace(/\/graphql$/, '')}/invoices/${a.number}.html`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain(`Invoice ${a.number}`);
    expect(html).toContain(`>${a.total}<`);
    for (const line of a.lines as Array<{ amount: string }>) expect(html).toContain(`>${line.amount}<`);
    expect(html).not.toContain('<script');
    // One bar per day of October: MP000001 all month, MP000002 until the 14th.
    expect(html.match(/<rect /g)).toHaveLength(31);
    const missing = await fetch(`${t.url.replace(/\/graphql$/, '')}/invoices/2026-999999.html`);
    expect(missing.status).toBe(404);
  });

  it('refuses bad input with the field at fault', async () => {
    const response = await graphql(
      t.url,
      `
        mutation {
          createAccount(
            input: {
              id: "ACC-C"
              name: "C"
              vatRate: "abc"
              tariff: { kind: FIXED, unitPriceEurMwh: "100", standingChargePerDay: "0" }
            }
          ) {
            id
          }
        }
      `,
    );
    expect(response.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringContaining('vatRate'),
    });
    const unknown = await graphql(
      t.url,
      `
        mutation {
          assignMeter(account: "NOPE", meter: "M", from: "2026-10-01") {
            id
          }
        }
      `,
    );
    expect(unknown.errors?.[0]?.message).toContain('account NOPE does not exist');
  });

  it('replays to identical accounts, drafts and issued invoices (issued ones are never recomputed)', async () => {
    const snapshot = async () => ({
      accounts: await gql(
        `{ accounts { totalCount edges { node { id name vatRate tariffs { from } meters { meter from to } } } } }`,
      ),
      drafts: await gql(DRAFTS, { month: MONTH }),
      issued: await gql(
        `{ a: invoicesByAccount(account: "ACC-A", lastMonths: 120) { ${ISSUED_FIELDS} } b: invoicesByAccount(account: "ACC-B", lastMonths: 120) { ${ISSUED_FIELDS} } }`,
      ),
    });
    const before = await snapshot();
    expect((before.issued.b as unknown[]).length).toBe(3);
    const replay = await gql(`mutation { replayProjections { projections events } }`);
    expect(replay.replayProjections.projections).toContain('accounts');
    expect(await snapshot()).toEqual(before);
  });
});
