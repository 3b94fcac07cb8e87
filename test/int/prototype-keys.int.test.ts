/**
 * Object.prototype's names as outside data (issue 32, item 4, and the class "no dictionary keyed by
 * outside data is a plain object"): `__proto__`, `constructor`, `toString`, `hasOwnProperty` and
 * `valueOf` as meter ids (base CSV and NEM12, beside ordinary meters), NEM12 channel suffixes, account ids,
 * time-of-use rate names, webhook event names and projection names, through upload, billing, drafts,
 * issuing, deliveries, exports and e-invoices. Then an ordinary upload is billed, and billing still works
 * after a restart on the same data directory and after a replay. Before the fix a meter named
 * `constructor` stopped the billing projection for good (`{}['constructor']` is `Object`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { graphql, startTestServer, uploadFile, type TestServer } from '../support/test-server';
import { dailyUsageOf, rejectedRowsOf } from '../support/usage-queries';

jest.setTimeout(90_000);

const PROTO = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const;
const TZ = 'Australia/Brisbane'; // UTC+10 all year: a NEM12 day is a billing day
const MONTH = '2024-01';
const UPLOAD = `mutation($file: Upload!) { uploadReadings(file: $file) {
  uploadId status acceptedRows rejectedRows position intervals { minutes meters } channels { channel kind meters } } }`;
const DOC_FIELDS = `number account total eInvoiceGaps ubl: eInvoiceUrl cii: eInvoiceUrl(syntax: CII)
  lines { meter kind description quantity amount }`;

const SUPPLIER = {
  legalName: 'Stadtwerke Nord GmbH',
  vatId: 'DE123456789',
  address: { street: 'Hafenstraße 1', city: 'Hamburg', postalCode: '20457', countryCode: 'DE' },
  iban: 'DE89 3704 0044 0532 0130 00',
  email: 'billing@stadtwerke-nord.example',
};
const BILLING = {
  address: { street: 'Ring 7', city: 'Köln', postalCode: '50667', countryCode: 'DE' },
  vatId: 'DE987654321',
};

/** Thousandths of a kWh: exact sums. */
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const hourly = (meter: number, day: number): number[] =>
  Array.from({ length: 24 }, (_, h) => (meter + 1) * 100 + h + day);
const nemValues = (count: number, seed: number): number[] =>
  Array.from({ length: count }, (_, i) => ((seed * 7919 + i * 104_729) % 2_000) + 1);
const kwh = (thousandths: number): string => (thousandths / 1000).toFixed(3);

/** A base CSV of hourly readings (`+10:00`) for these meters on these days of January 2024. */
function baseCsv(meters: readonly string[], days: readonly number[]): string {
  const lines = ['metering_point_id,timestamp,kwh'];
  meters.forEach((meter, m) => {
    for (const day of days)
      hourly(m, day).forEach((value, h) =>
        lines.push(
          `${meter},2024-01-${String(day).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00+10:00,${kwh(value)}`,
        ),
      );
  });
  return `${lines.join('\n')}\n`;
}

interface NemChannel {
  suffix: string;
  uom: string;
  minutes: number;
  seed: number;
}
const NEM_DAYS = ['20240103', '20240104'];
/** A NEM12 file: per NMI its channels, each with the two days of NEM_DAYS. */
function nem12(nmis: ReadonlyArray<{ nmi: string; channels: NemChannel[] }>): string {
  const lines = ['100,NEM12,202402010930,MDP1,RETAILER1'];
  for (const { nmi, channels } of nmis) {
    for (const c of channels) {
      lines.push(`200,${nmi},E1B1Q1K1,1,${c.suffix},N1,METER01,${c.uom},${c.minutes},20240301`);
      NEM_DAYS.forEach((date, d) =>
        lines.push(
          `300,${date},${nemValues(1440 / c.minutes, c.seed + d)
            .map(kwh)
            .join(',')},A,,,20240201000000,20240201000000`,
        ),
      );
    }
  }
  lines.push('900');
  return `${lines.join('\n')}\n`;
}

// Three of the five at 30 minutes, two and an ordinary NMI at 15 (the common interval, ties going to the
// shorter): `__proto__`, `constructor` and `toString` are written into FileValidated's otherIntervals.
// valueOf's export register B1 is at 30 minutes beside its 15-minute import: into seriesIntervals.
// (A Map: in an object literal, `__proto__: 30` would set the prototype, not a key.)
const NEM_MINUTES = new Map<string, number>([
  ['__proto__', 30],
  ['constructor', 30],
  ['toString', 30],
  ['hasOwnProperty', 15],
  ['valueOf', 15],
  ['NEM-ORD', 15],
]);
const nemMinutes = (meter: string): number => NEM_MINUTES.get(meter)!;
const NEM_METERS = [...PROTO, 'NEM-ORD'];
const nemChannels = (meter: string, i: number): NemChannel[] => [
  { suffix: 'E1', uom: 'kWh', minutes: nemMinutes(meter), seed: i * 10 },
  ...(meter === 'valueOf' ? [{ suffix: 'B1', uom: 'kWh', minutes: 30, seed: 99 }] : []),
];

const dataDir = mkdtempSync(join(tmpdir(), 'prototype-keys-'));
const deliveries: Array<{ number: string }> = [];
let receiver: Server;
let receiverUrl = '';
let t: TestServer;
let base = '';
const ENV = { DATA_DIR: dataDir, BILLING_TZ: TZ, WEBHOOK_ALLOW_PRIVATE: 'true' };

const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const answer = await graphql(t.url, query, variables);
  if (answer.errors !== undefined) throw new Error(JSON.stringify(answer.errors));
  return answer.data as Record<string, any>;
};
const refusal = async (query: string, variables: Record<string, unknown>) => {
  const answer = await graphql(t.url, query, variables);
  expect(answer.data ?? null).toBeNull();
  return answer.errors![0]!;
};
async function upload(text: string, name: string) {
  const answer = (await uploadFile(t.url, text, name, { query: UPLOAD })) as any;
  expect(answer.errors).toBeUndefined();
  return answer.data.uploadReadings as {
    uploadId: string;
    status: string;
    acceptedRows: number;
    rejectedRows: number;
    position: string;
    intervals: Array<{ minutes: number; meters: number }>;
    channels: Array<{ channel: string; kind: string; meters: number }>;
  };
}
/** A meter's import days, in thousandths (waits for the position; CONSISTENCY_TIMEOUT throws). */
async function billedDays(meter: string, from: string, to: string, position?: string) {
  const answer = await graphql(
    t.url,
    `
      query ($m: ID!, $f: String!, $t: String!, $p: String) {
        dailyUsage(meter: $m, from: $f, to: $t, atLeast: $p) {
          date
          totalKwh
          intervals
        }
      }
    `,
    { m: meter, f: from, t: to, p: position ?? null },
  );
  if (answer.errors !== undefined) throw new Error(`${meter}: ${JSON.stringify(answer.errors)}`);
  return (answer.data as any).dailyUsage.map((d: { date: string; totalKwh: number; intervals: number }) => ({
    date: d.date,
    thousandths: Math.round(d.totalKwh * 1000),
    intervals: d.intervals,
  }));
}
/** What every meter of the first two uploads must be billed as. */
function expectedDays(meter: string) {
  const m = PROTO.indexOf(meter as (typeof PROTO)[number]);
  const baseIndex = m >= 0 ? m : BASE_METERS.indexOf(meter);
  const days = [];
  if (baseIndex >= 0)
    for (const day of [1, 2])
      days.push({ date: `2024-01-0${day}`, thousandths: sum(hourly(baseIndex, day)), intervals: 24 });
  const n = NEM_METERS.indexOf(meter);
  if (n >= 0)
    NEM_DAYS.forEach((date, d) => {
      const minutes = nemMinutes(meter);
      days.push({
        date: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}`,
        thousandths: sum(nemValues(1440 / minutes, n * 10 + d)),
        intervals: 1440 / minutes,
      });
    });
  return days;
}
const BASE_METERS = [...PROTO, 'MP-ORD-1'];

async function startOnDataDir(): Promise<void> {
  t = await startTestServer(ENV);
  base = t.url.replace(/\/graphql$/, '');
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const doc = JSON.parse(body) as { data?: { number?: string } };
      deliveries.push({ number: String(doc.data?.number) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  await startOnDataDir();
});
afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => receiver.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

describe("Object.prototype's names as outside data", () => {
  let position = '';

  it('uploads and bills them as meter ids in a base CSV and in NEM12, beside ordinary meters', async () => {
    const csv = await upload(baseCsv(BASE_METERS, [1, 2]), 'proto-meters.csv');
    expect(csv).toMatchObject({ status: 'VALIDATED', acceptedRows: 6 * 48, rejectedRows: 0 });
    // A suffix must start with E, B, Q or K: a prototype name is refused by line, clearly.
    const refused = { nmi: 'NEM-BAD', channels: [{ suffix: '__proto__', uom: 'kWh', minutes: 30, seed: 1 }] };
    const nem = await upload(
      nem12([...NEM_METERS.map((meter, i) => ({ nmi: meter, channels: nemChannels(meter, i) })), refused]),
      'proto-meters.nem12.csv',
    );
    expect(nem).toMatchObject({ status: 'VALIDATED', rejectedRows: 3 });
    expect(nem.intervals).toEqual(
      expect.arrayContaining([
        { minutes: 15, meters: 3 },
        { minutes: 30, meters: 3 },
      ]),
    );
    const rejected = await rejectedRowsOf(t.url, nem.uploadId, nem.position);
    expect(rejected[0]!.reasons.map((r) => r.message).join(' ')).toContain(
      "NMI suffix '__proto__' does not start with E (import), B (export), Q or K (reactive)",
    );
    position = nem.position;

    for (const meter of [...BASE_METERS, 'NEM-ORD'])
      expect({ meter, days: await billedDays(meter, '2024-01-01', '2024-01-04', position) }).toEqual({
        meter,
        days: expectedDays(meter),
      });
    // valueOf's export register, at its own 30 minutes.
    const exported = await dailyUsageOf(t.url, {
      meter: 'valueOf',
      from: '2024-01-03',
      to: '2024-01-03',
      kind: 'EXPORT',
      channel: 'B1',
      position,
    });
    expect(exported.map((d) => [Math.round(d.totalKwh * 1000), d.intervals])).toEqual([[sum(nemValues(48, 99)), 48]]);

    const meters = (await gql(`{ meters }`)).meters as string[];
    expect(meters).toEqual(expect.arrayContaining([...PROTO]));
    const invoices = await gql(
      `query($m: String!, $p: String) { invoices(month: $m, atLeast: $p, first: 50) { edges { node { meter totalKwh } } } }`,
      { m: MONTH, p: position },
    );
    const totals = new Map(
      invoices.invoices.edges.map((e: { node: { meter: string; totalKwh: number } }) => [
        e.node.meter,
        Math.round(e.node.totalKwh * 1000),
      ]),
    );
    for (const meter of PROTO)
      expect([meter, totals.get(meter)]).toEqual([meter, sum(expectedDays(meter).map((d) => d.thousandths))]);
  });

  it('keeps them as column names and channel ids of a mapped format, and refuses them as format values', async () => {
    // Every column named like a prototype member; the channel column's values too (channelKinds).
    const rows = ['toString;__proto__;constructor;hasOwnProperty'];
    const at = (h: number) => `2024-02-01T${String(h).padStart(2, '0')}:00:00+10:00`;
    const channelValues = new Map([
      ['constructor', 100],
      ['toString', 20],
      ['__proto__', 3],
      ['valueOf', 4000],
    ]);
    for (let h = 0; h < 24; h++)
      for (const [channel, thousandths] of channelValues)
        rows.push(`__proto__;${at(h)};${kwh(thousandths + h)};${channel}`);
    rows.push(`__proto__;${at(0)};1.000;hasOwnProperty`);
    const answer = (await uploadFile(t.url, `${rows.join('\n')}\n`, 'proto-columns.csv', {
      query: `mutation($file: Upload!, $format: ReadingsFormatInput) { uploadReadings(file: $file, format: $format) {
        uploadId status acceptedRows rejectedRows position channels { channel kind } } }`,
      variables: {
        format: {
          meterColumn: 'toString',
          timestampColumn: '__proto__',
          valueColumn: 'constructor',
          delimiter: ';',
          channelColumn: 'hasOwnProperty',
          channelKinds: [
            { value: 'constructor', kind: 'IMPORT' },
            { value: 'toString', kind: 'IMPORT' },
            { value: '__proto__', kind: 'EXPORT' },
            { value: 'valueOf', kind: 'EXPORT' },
          ],
        },
      },
    })) as any;
    expect(answer.errors).toBeUndefined();
    const receipt = answer.data.uploadReadings;
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 96, rejectedRows: 1 });
    expect(receipt.channels.map((c: { channel: string; kind: string }) => `${c.kind}:${c.channel}`).sort()).toEqual(
      ['EXPORT:__proto__', 'EXPORT:valueOf', 'IMPORT:constructor', 'IMPORT:toString'].sort(),
    );
    const [bad] = await rejectedRowsOf(t.url, receipt.uploadId, receipt.position);
    expect(bad!.reasons[0]!.message).toContain('(format channelKinds)');
    const hours = (base: number) => sum(Array.from({ length: 24 }, (_, h) => base + h));
    // The import registers billed as their sum; each export register its own series.
    expect(await billedDays('__proto__', '2024-02-01', '2024-02-01', receipt.position)).toEqual([
      { date: '2024-02-01', thousandths: hours(100) + hours(20), intervals: 24 },
    ]);
    for (const [channel, base] of [
      ['__proto__', 3],
      ['valueOf', 4000],
    ] as const) {
      const [day] = await dailyUsageOf(t.url, {
        meter: '__proto__',
        from: '2024-02-01',
        to: '2024-02-01',
        kind: 'EXPORT',
        channel,
        position: receipt.position,
      });
      expect([channel, Math.round(day!.totalKwh * 1000)]).toEqual([channel, hours(base)]);
    }

    // As format values: refused as the caller's mistake, never a server fault.
    for (const name of PROTO)
      for (const format of [
        { encoding: name },
        { timeZone: name },
        { unit: name },
        { channel: name },
        { timestampFormat: name },
      ]) {
        const refused = (await uploadFile(t.url, baseCsv(['MP-FMT'], [9]), 'format.csv', {
          query: `mutation($file: Upload!, $format: ReadingsFormatInput) { uploadReadings(file: $file, format: $format) { status } }`,
          variables: { format },
        })) as any;
        const code = refused.errors?.[0]?.extensions?.code ?? refused.data?.uploadReadings?.status;
        expect([format, code]).toEqual([format, expect.stringMatching(/^(BAD_USER_INPUT|REJECTED)$/)]);
      }
  });

  it('keeps them as account ids and rate names through drafts, issuing, deliveries and e-invoices', async () => {
    // An account id starts with a letter or digit: `__proto__` is refused by its field; the others are ids.
    const rates = PROTO.map((name, i) => ({
      name,
      from: ['00:00', '04:00', '08:00', '12:00', '16:00'][i],
      to: ['04:00', '08:00', '12:00', '16:00', '24:00'][i],
      unitPriceEurMwh: String(100 + i * 10),
    }));
    const create = `mutation($input: AccountInput!) { createAccount(input: $input) { id tariffs { tariff { rates { name } } } } }`;
    const input = (id: string) => ({
      id,
      name: `Account ${id}`,
      vatRate: '0.19',
      tariff: { kind: 'FIXED', unitPriceEurMwh: '150', standingChargePerDay: '0.2', rates },
      billing: BILLING,
    });
    const bad = await refusal(create, { input: input('__proto__') });
    expect(bad.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.message).toMatch(/id/);
    const accounts = PROTO.filter((name) => name !== '__proto__');
    for (const id of accounts) {
      const made = await gql(create, { input: input(id) });
      expect(made.createAccount.id).toBe(id);
      expect(made.createAccount.tariffs[0].tariff.rates.map((r: { name: string }) => r.name)).toEqual([...PROTO]);
    }
    // constructor holds the meters __proto__ and constructor; the others their own.
    const assign = `mutation($a: ID!, $m: ID!) { assignMeter(account: $a, meter: $m, from: "2024-01-01") { id } }`;
    await gql(assign, { a: 'constructor', m: '__proto__' });
    for (const id of accounts) await gql(assign, { a: id, m: id });
    await gql(`mutation($input: SupplierInput!) { setSupplier(input: $input) { vatId } }`, { input: SUPPLIER });
    const hook = await gql(`mutation($u: String!) { registerWebhook(url: $u, events: ["InvoiceIssued"]) { id } }`, {
      u: receiverUrl,
    });
    expect(hook.registerWebhook.id).toEqual(expect.any(String));

    const drafts = (
      await gql(
        `query($m: String!, $a: [ID!], $p: String) { draftInvoices(month: $m, accounts: $a, atLeast: $p) {
          account total meters { meter kwh } lines { meter kind description amount } } }`,
        { m: MONTH, a: accounts, p: position },
      )
    ).draftInvoices as Array<{
      account: string;
      total: string;
      meters: Array<{ meter: string; kwh: string }>;
      lines: Array<{ meter: string | null; kind: string; description: string; amount: string }>;
    }>;
    expect(drafts.map((d) => d.account).sort()).toEqual([...accounts].sort());
    const ofConstructor = drafts.find((d) => d.account === 'constructor')!;
    expect(ofConstructor.meters.map((m) => m.meter).sort()).toEqual(['__proto__', 'constructor']);
    for (const draft of drafts) {
      expect(draft.total).toMatch(/^\d+\.\d{2}$/);
      const energy = draft.lines.filter((l) => l.kind === 'ENERGY').map((l) => l.description);
      // Every rate name shows on the energy lines: readings at every hour fall into all five windows.
      for (const name of PROTO) expect(energy.some((description) => description.includes(name))).toBe(true);
    }

    const issued = (
      await gql(
        `mutation($m: String!, $a: [ID!]) { issueInvoices(month: $m, accounts: $a, force: true) { issued { ${DOC_FIELDS} } } }`,
        { m: MONTH, a: accounts },
      )
    ).issueInvoices.issued as Array<{
      number: string;
      account: string;
      eInvoiceGaps: string[];
      ubl: string;
      cii: string;
    }>;
    expect(issued.map((d) => d.account).sort()).toEqual([...accounts].sort());
    for (const doc of issued) {
      expect(doc.eInvoiceGaps).toEqual([]);
      for (const path of [doc.ubl, doc.cii]) {
        const response = await fetch(`${base}${path}`);
        expect([doc.number, response.status]).toEqual([doc.number, 200]);
        expect(await response.text()).toContain(`Account ${doc.account}`);
      }
      const page = await fetch(`${base}/invoices/${doc.number}.html`);
      expect(page.status).toBe(200);
    }
    const byAccount = await gql(`query { invoicesByAccount(account: "constructor", lastMonths: 120) { number } }`);
    expect(byAccount.invoicesByAccount).toHaveLength(1);

    // Each issued invoice reaches the webhook (a condition, polled: deliveries run in the background).
    const deadline = Date.now() + 30_000;
    while (deliveries.length < issued.length && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(deliveries.map((d) => d.number).sort()).toEqual(issued.map((d) => d.number).sort());
  });

  it('refuses them as webhook event and projection names, saying what is allowed, and finds nothing by them as ids', async () => {
    for (const name of PROTO) {
      const error = await refusal(
        `mutation($u: String!, $e: [String!]) { registerWebhook(url: $u, events: $e) { id } }`,
        {
          u: receiverUrl,
          e: [name],
        },
      );
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message).toContain(`events: ${name} unknown; choose from InvoiceIssued, CreditNoteIssued`);
      const replay = await graphql(
        t.url,
        `
          mutation ($n: [String!]) {
            replayProjections(names: $n) {
              events
            }
          }
        `,
        {
          n: [name],
        },
      );
      expect(replay.errors?.[0]?.message).toContain(name);
      expect(replay.errors?.[0]?.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
      // As ids of things that do not exist: nothing, or NOT_FOUND; never a server fault.
      const lookups = await graphql(
        t.url,
        `
          query ($id: ID!, $n: String!) {
            account(id: $id) {
              id
            }
            upload(id: $id) {
              uploadId
            }
            invoice(id: $id) {
              meter
            }
            issuedInvoice(number: $n) {
              number
            }
          }
        `,
        { id: name, n: name },
      );
      expect([name, lookups.errors ?? []]).toEqual([name, []]);
      expect(lookups.data).toEqual({
        account: name === '__proto__' ? null : { id: name },
        upload: null,
        invoice: null,
        issuedInvoice: null,
      });
      for (const query of [
        `mutation($id: ID!) { removeWebhook(id: $id) }`,
        `query($id: ID!) { webhookDeliveries(webhook: $id) { deliveryId } }`,
      ]) {
        const answer = await graphql(t.url, query, { id: name });
        expect([name, answer.errors?.[0]?.extensions?.code ?? 'answered']).not.toEqual([name, 'INTERNAL_SERVER_ERROR']);
      }
    }
  });

  it("refuses a multipart map path into Object.prototype's members, and leaves them as they were", async () => {
    const paths = [
      'variables.hasOwnProperty.call',
      'variables.toString.call',
      'variables.valueOf.bind',
      'variables.constructor.x',
      'variables.__proto__.x',
      'variables.file.toString',
    ];
    for (const path of paths) {
      const form = new FormData();
      form.append(
        'operations',
        JSON.stringify({
          query: 'mutation($file: Upload!) { uploadReadings(file: $file) { status } }',
          variables: { file: null },
        }),
      );
      form.append('map', JSON.stringify({ 0: [path] }));
      form.append('0', new Blob([baseCsv(['MP-MAP'], [9])]), 'map.csv');
      const response = await fetch(t.url, {
        method: 'POST',
        headers: { 'Apollo-Require-Preflight': 'true' },
        body: form,
      });
      const body = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
      expect([path, response.status, body.errors[0]!.extensions.code]).toEqual([path, 400, 'BAD_REQUEST']);
      expect(body.errors[0]!.message).toContain(`map path '${path}' does not name a variable of the operations`);
    }
    // The server runs in this process: its built-ins are this test's.
    for (const member of [Object.prototype.hasOwnProperty, Object.prototype.toString, Object.prototype.valueOf])
      expect(Object.getOwnPropertyNames(member).sort()).toEqual(['length', 'name']);
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('x');
    // The ordinary path still uploads.
    expect((await upload(baseCsv(['MP-MAP'], [9]), 'map.csv')).status).toBe('VALIDATED');
  });

  it('exports them in CSV and Parquet', async () => {
    const daily = await (await fetch(`${base}/exports/daily-usage.csv?from=2024-01-01&to=2024-01-31`)).text();
    const invoices = await (await fetch(`${base}/exports/invoices.csv?month=${MONTH}`)).text();
    for (const meter of PROTO) {
      expect(daily.split('\r\n').filter((line) => line.startsWith(`${meter},IMPORT,`))).toHaveLength(4);
      expect(invoices.split('\r\n').filter((line) => line.startsWith(`${meter},`))).toHaveLength(1);
    }
    const scratch = mkdtempSync(join(tmpdir(), 'prototype-keys-parquet-'));
    try {
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      for (const [name, path] of [
        ['daily', '/exports/daily-usage.parquet?from=2024-01-01&to=2024-01-31'],
        ['invoices', `/exports/invoices.parquet?month=${MONTH}`],
      ] as const) {
        const response = await fetch(`${base}${path}`);
        expect(response.status).toBe(200);
        const file = join(scratch, `${name}.parquet`);
        writeFileSync(file, Buffer.from(await response.arrayBuffer()));
        const rows = (
          await connection.runAndReadAll(
            `SELECT meter, count(*) AS n FROM read_parquet('${file}') ${name === 'daily' ? "WHERE kind = 'IMPORT'" : ''} GROUP BY meter`,
          )
        ).getRowObjectsJS() as Array<{ meter: string; n: bigint }>;
        const counts = new Map(rows.map((r) => [r.meter, Number(r.n)]));
        for (const meter of PROTO) expect([meter, counts.get(meter)]).toEqual([meter, name === 'daily' ? 4 : 1]);
      }
      connection.closeSync();
      instance.closeSync();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('bills an ordinary upload afterwards', async () => {
    const later = await upload(baseCsv(['MP-LATE'], [5]), 'ordinary.csv');
    expect(later.status).toBe('VALIDATED');
    position = later.position;
    expect(await billedDays('MP-LATE', '2024-01-05', '2024-01-05', position)).toEqual([
      { date: '2024-01-05', thousandths: sum(hourly(0, 5)), intervals: 24 },
    ]);
  });

  it('still bills after a restart on the same data and after a replay', async () => {
    await t.close(); // removes only the test server's own empty directory, not DATA_DIR
    await startOnDataDir();
    for (const meter of PROTO)
      expect(await billedDays(meter, '2024-01-01', '2024-01-04', position)).toEqual(expectedDays(meter));
    const afterRestart = await upload(baseCsv(['MP-AFTER-RESTART'], [6]), 'after-restart.csv');
    expect(await billedDays('MP-AFTER-RESTART', '2024-01-06', '2024-01-06', afterRestart.position)).toEqual([
      { date: '2024-01-06', thousandths: sum(hourly(0, 6)), intervals: 24 },
    ]);

    const replay = await gql(`mutation { replayProjections(names: ["billing"]) { projections events } }`);
    expect(replay.replayProjections.projections).toEqual(['billing']);
    for (const meter of PROTO)
      expect(await billedDays(meter, '2024-01-01', '2024-01-04', afterRestart.position)).toEqual(expectedDays(meter));
    const afterReplay = await upload(baseCsv(['MP-AFTER-REPLAY'], [7]), 'after-replay.csv');
    expect(await billedDays('MP-AFTER-REPLAY', '2024-01-07', '2024-01-07', afterReplay.position)).toEqual([
      { date: '2024-01-07', thousandths: sum(hourly(0, 7)), intervals: 24 },
    ]);
  });
});
