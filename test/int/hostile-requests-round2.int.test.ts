/**
 * Attacks of issue 32 ("safe to expose and to run, round 2") on the GraphQL gate, each on a real server
 * with a month of data loaded: documents padded with comments (anonymous, APQ, WebSocket), huge list
 * and string arguments, mutations over WebSocket, what an anonymous caller can learn, and the variants
 * of each class the issue does not name. The process stays alive and /healthz answers within 2 s.
 */
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { generateReadings } from '../../src/tools/readings-generator';
import { startTestServer, uploadFile, type TestServer } from '../support/test-server';

const ADMIN = 'admin-token-for-round-2';
const VIEWER = 'viewer-token-for-round-2';
const admin = { authorization: `Bearer ${ADMIN}` };
const viewer = { authorization: `Bearer ${VIEWER}` };

let t: TestServer;
let base: string;
beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: ADMIN, VIEWER_TOKEN: VIEWER });
  base = t.url.replace(/\/graphql$/, '');
  // A month of data: 20 meters of October 2026, billed.
  const csv = [...generateReadings({ month: '2026-10', meters: 20, errorRate: 0, seed: 32 })].join('\n');
  const uploaded = await uploadFile(t.url, csv, 'october.csv', { headers: admin });
  expect(uploaded.data?.uploadReadings.status).toBe('VALIDATED');
}, 120_000);
afterAll(async () => {
  await t.close();
});

interface Answer {
  status: number;
  text: string;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

async function post(payload: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Answer['body'] };
}

const codeOf = (answer: Answer): string | undefined => answer.body.errors?.[0]?.extensions?.code;

/** The server answers /healthz within 2 s. */
async function alive(): Promise<void> {
  const started = performance.now();
  const health = await fetch(`${base}/healthz`);
  expect(health.status).toBe(200);
  expect(performance.now() - started).toBeLessThan(2_000);
}

/** Runs `attack` while checking /healthz every 100 ms; every check must answer within 2 s. */
async function whileAlive<T>(attack: () => Promise<T>): Promise<T> {
  let running = true;
  const checks = (async () => {
    let count = 0;
    while (running) {
      await alive();
      count += 1;
      await new Promise((r) => setTimeout(r, 100));
    }
    return count;
  })();
  try {
    return await attack();
  } finally {
    running = false;
    expect(await checks).toBeGreaterThan(0);
  }
}

/** V8's collector, for measuring what stays alive. */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** The heap this process (the server's) keeps after `run`, in MB, collected before and after. */
async function heapGrowthMb(run: () => Promise<void>): Promise<number> {
  const gc = gcFunction();
  gc();
  const before = process.memoryUsage().heapUsed;
  await run();
  gc();
  return (process.memoryUsage().heapUsed - before) / 1024 / 1024;
}

/** Runs `task(i)` for i < count, `parallel` at a time. */
async function inParallel(count: number, parallel: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

describe('bytes before tokens: documents padded with comments (item 1)', () => {
  it('refuses 300 distinct anonymous documents padded with 900 KB comments unparsed: the heap stays flat', async () => {
    const growth = await heapGrowthMb(() =>
      whileAlive(async () => {
        for (let i = 0; i < 300; i += 1) {
          const answer = await post({ query: `{ meters } # ${i} ${'x'.repeat(900_000)}` });
          expect(answer.status).toBe(401);
          expect(codeOf(answer)).toBe('UNAUTHENTICATED');
        }
      }),
    );
    expect(growth).toBeLessThan(30);
  }, 120_000);

  it('refuses a document over GRAPHQL_MAX_DOCUMENT_BYTES from a key before it is parsed, as a POST, an APQ registration and a batch', async () => {
    const query = `{ meters } # ${'x'.repeat(900_000)}`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    for (const payload of [
      { query },
      { query, extensions: { persistedQuery: { version: 1, sha256Hash } } },
      [{ query: '{ meters }' }, { query }],
    ]) {
      const answer = await post(payload, viewer);
      expect(answer.status).toBe(413);
      expect(codeOf(answer)).toBe('PAYLOAD_TOO_LARGE');
      expect(answer.body.errors?.[0]?.message).toMatch(/at most 65536 .*GRAPHQL_MAX_DOCUMENT_BYTES/);
    }
    // A multipart upload's operations hold the document: the same cap.
    const upload = await uploadFile(t.url, 'metering_point_id,timestamp,kwh\n', 'a.csv', {
      headers: admin,
      query: `mutation($file: Upload!) { uploadReadings(file: $file) { status } } # ${'x'.repeat(70_000)}`,
    });
    expect(upload.status).toBe(413);
    expect(upload.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    // The APQ registration was not kept: asking by its hash finds nothing.
    const byHash = await fetch(
      `${t.url}?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash } }))}`,
      { headers: { ...viewer, 'apollo-require-preflight': 'true' } },
    );
    expect(JSON.stringify(await byHash.json())).toMatch(/PERSISTED_QUERY_NOT_FOUND/);
    await alive();
  });

  it('keeps the heap bounded over 1,200 distinct 60 KB documents that pass the cap (comment-padded and comment-only lines)', async () => {
    const growth = await heapGrowthMb(() =>
      whileAlive(() =>
        inParallel(1_200, 4, async (i) => {
          const query =
            i % 6 === 0 ? `{ meters } # ${i}\n${'#\n'.repeat(30_000)}` : `{ meters } # ${i} ${'x'.repeat(60_000)}`;
          const answer = await post({ query }, viewer);
          expect(answer.body.errors).toBeUndefined();
        }),
      ),
    );
    // Apollo's cache sized each of these by a few hundred bytes, kept them all (72 MB of text and more).
    expect(growth).toBeLessThan(40);
  }, 180_000);

  it('holds the same cap for a document in a GET and in a WebSocket subscribe, with the socket kept', async () => {
    const get = await fetch(`${t.url}?query=${encodeURIComponent(`{ meters } # ${'x'.repeat(15_000)}`)}`, {
      headers: { ...viewer, 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    const socket = await openSocket(viewer);
    try {
      const outcome = await socket.request({
        query: `subscription { invoiceIssued { number } } # ${'x'.repeat(100_000)}`,
      });
      expect(outcome).toMatch(/PAYLOAD_TOO_LARGE/);
      expect(outcome).toMatch(/GRAPHQL_MAX_DOCUMENT_BYTES/);
      // The socket is still open: a small query is answered on it.
      expect(await socket.request({ query: '{ meters }' })).toMatch(/^next/);
    } finally {
      socket.close();
    }
  });
});

describe('bytes before tokens: string and list arguments', () => {
  it('refuses a string argument over GRAPHQL_MAX_STRING_BYTES, inline or in variables, naming it and the limit', async () => {
    const long = 'x'.repeat(5_000);
    const inline = await post({ query: `{ account(id: "${long}") { id } }` }, viewer);
    expect(inline.status).toBe(400);
    expect(codeOf(inline)).toBe('BAD_USER_INPUT');
    expect(inline.body.errors?.[0]?.message).toMatch(
      /argument id of account .*at most 4096 \(GRAPHQL_MAX_STRING_BYTES\)/,
    );
    const variable = await post(
      { query: 'query($id: ID!) { account(id: $id) { id } }', variables: { id: long } },
      viewer,
    );
    expect(codeOf(variable)).toBe('BAD_USER_INPUT');
    expect(variable.body.errors?.[0]?.message).toMatch(/variables\.id .*at most 4096 \(GRAPHQL_MAX_STRING_BYTES\)/);
    // A block string is one token: the token limit did not see it.
    const block = await post({ query: `{ account(id: """${long}""") { id } }` }, viewer);
    expect(codeOf(block)).toBe('BAD_USER_INPUT');
  });

  it('refuses an enormous list inside a nested input object before the resolver runs: nothing is recorded', async () => {
    const rates = Array.from({ length: 5_000 }, () => ({ from: '08:00', to: '20:00', unitPriceEurMwh: '1' }));
    const answer = await post(
      {
        query: 'mutation($input: AccountInput!) { createAccount(input: $input) { id } }',
        variables: {
          input: {
            id: 'NESTED-LIST',
            name: 'x',
            vatRate: '0.2',
            tariff: { kind: 'FIXED', unitPriceEurMwh: '100', standingChargePerDay: '0', rates },
          },
        },
      },
      admin,
    );
    expect(codeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.body.errors?.[0]?.message).toMatch(
      /variables\.input\.tariff\.rates .*5000 .*at most 1000 \(GRAPHQL_MAX_LIST_LENGTH\)/,
    );
    const account = await post({ query: '{ account(id: "NESTED-LIST") { id } }' }, viewer);
    expect(account.body.data).toEqual({ account: null });
  });

  it('refuses 70,000 account ids in 4 aliases of draftInvoices from a viewer at once (item 2), the process alive', async () => {
    const ids = Array.from({ length: 70_000 }, (_, i) => `ACC-${i}`);
    const query = `query($ids: [ID!]) { ${[0, 1, 2, 3]
      .map((i) => `a${i}: draftInvoices(month: "2026-10", accounts: $ids) { account }`)
      .join(' ')} }`;
    const started = performance.now();
    const answer = await whileAlive(() => post({ query, variables: { ids } }, viewer));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(answer.status).toBe(400);
    expect(codeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.body.errors?.[0]?.message).toMatch(/variables\.ids is a list of 70000 items; .*at most 1000/);
    // Inline too: 1,001 ids written in the document.
    const inline = await post(
      {
        query: `{ draftInvoices(month: "2026-10", accounts: [${Array.from({ length: 1_001 }, (_, i) => i).join(' ')}]) { account } }`,
      },
      viewer,
    );
    expect(inline.body.errors?.[0]?.message).toMatch(/argument accounts of draftInvoices is a list of 1001 items/);
    await alive();
  });

  it('answers 1,000 made-up ids in 15 aliases at once with NOT_FOUND, after a few lookups each', async () => {
    const accounts = t.server.services!.accountQueries;
    const lookup = jest.spyOn(accounts, 'account');
    try {
      const ids = Array.from({ length: 1_000 }, (_, i) => `MADE-UP-${i}`);
      const query = `query($ids: [ID!]) { ${Array.from(
        { length: 15 },
        (_, i) => `a${i}: draftInvoices(month: "2026-10", accounts: $ids) { account }`,
      ).join(' ')} }`;
      const answer = await whileAlive(() => post({ query, variables: { ids } }, viewer));
      expect(codeOf(answer)).toBe('NOT_FOUND');
      // 16 lookups at most per alias before the first NOT_FOUND stops it; before, one per id at once.
      expect(lookup.mock.calls.length).toBeLessThanOrEqual(15 * 16);
    } finally {
      lookup.mockRestore();
    }
  });

  it('charges a list argument to the query budget by its entries', async () => {
    const small = await startTestServer({ VIEWER_TOKEN: VIEWER, QUERY_COST_BURST: '1500' });
    try {
      const ids = Array.from({ length: 800 }, (_, i) => `ACC-${i}`);
      const answer = await fetch(small.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...viewer },
        body: JSON.stringify({
          query:
            'query($ids: [ID!]) { a: draftInvoices(month: "2026-10", accounts: $ids) { account } b: draftInvoices(month: "2026-10", accounts: $ids) { account } }',
          variables: { ids },
        }),
      });
      expect(answer.status).toBe(429);
      expect(await answer.text()).toMatch(
        /asks for about 1600 items, more than one query may \(QUERY_COST_BURST 1500\)/,
      );
    } finally {
      await small.close();
    }
  });
});

describe('bytes before tokens: variants the issue does not name', () => {
  it('refuses a huge operationName, deep variables, thousands of variables and a repeated GET parameter, each with a code', async () => {
    const name = await post({ query: '{ meters }', operationName: 'x'.repeat(100_000) }, viewer);
    expect(name.status).toBe(400);
    expect(name.body.errors?.[0]?.message).toMatch(/operationName has 100000 characters; at most 256/);

    // 100,000 levels of nesting: JSON the body parser takes, which no argument here takes.
    const deep = `{"query":"{ meters }","variables":{"v":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const deepAnswer = await post(deep, viewer);
    expect(deepAnswer.status).toBe(400);
    expect(deepAnswer.body.errors?.[0]?.message).toMatch(/nests deeper than 16 levels/);

    const many = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`v${i}`, i]));
    const manyAnswer = await post({ query: '{ meters }', variables: many }, viewer);
    expect(manyAnswer.status).toBe(400);
    expect(manyAnswer.body.errors?.[0]?.message).toMatch(/variables is an object of 5000 fields; at most 1000/);

    const repeated = await fetch(`${t.url}?query=%7Bmeters%7D&query=%7Bmeters%7D`, {
      headers: { ...viewer, 'apollo-require-preflight': 'true' },
    });
    expect(repeated.status).toBe(400);
    expect(JSON.stringify(await repeated.json())).toMatch(/BAD_REQUEST/);

    // A GET line over Node's 16 KiB: answered in JSON too, and the server goes on.
    const huge = await fetch(`${t.url}?query=${encodeURIComponent(`{ meters } # ${'x'.repeat(40_000)}`)}`, {
      headers: viewer,
    });
    expect(huge.status).toBe(431);
    expect(await huge.json()).toMatchObject({ errors: [{ extensions: { code: 'REQUEST_HEADER_FIELDS_TOO_LARGE' } }] });

    const getList = await fetch(
      `${t.url}?query=${encodeURIComponent('query($a: [ID!]) { draftInvoices(month: "2026-10", accounts: $a) { account } }')}&variables=${encodeURIComponent(JSON.stringify({ a: Array.from({ length: 1_001 }, (_, i) => i) }))}`,
      { headers: { ...viewer, 'apollo-require-preflight': 'true' } },
    );
    expect(getList.status).toBe(400);
    expect(JSON.stringify(await getList.json())).toMatch(/variables\.a is a list of 1001 items/);
    await alive();
  });

  it('scores fragments spread exponentially often in linear time', async () => {
    // F0 spreads F1 300 times, F1 spreads F2 300 times...: 27 million paths if each spread is walked
    // again (49 s of the main thread before), in 5 KB that pass depth, tokens and validation.
    const fragments = Array.from(
      { length: 3 },
      (_, i) => `fragment F${i} on Query { ${Array.from({ length: 300 }, () => `...F${i + 1}`).join(' ')} }`,
    ).join('\n');
    const query = `{ ...F0 }\n${fragments}\nfragment F3 on Query { meters uploads { totalCount } }`;
    const started = performance.now();
    const answer = await whileAlive(() => post({ query }, viewer));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toEqual({ meters: expect.any(Array), uploads: { totalCount: 1 } });
  });
});

describe('validation bounded before it runs (a variant of the stall class)', () => {
  it("refuses a viewer's documents that repeat one field hundreds of times before validating them, the server answering meanwhile", async () => {
    // 495 copies of one field in 1,980 tokens (inside every other limit): graphql-js compares every pair of
    // same-named fields, about 0.5 s of the main thread each, again at every request since an invalid
    // document is never cached.
    const answers: Answer[] = [];
    await whileAlive(() =>
      inParallel(40, 8, async (i) => {
        answers.push(await post({ query: `# ${i}\n{${' billingSettings { timeZone }'.repeat(495)} }` }, viewer));
      }),
    );
    expect(answers).toHaveLength(40);
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(codeOf(answer)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(answer.body.errors![0]!.message).toMatch(/'billingSettings' is selected more than 10 times/);
    }
  });
});

describe('one gate for every transport (item 8)', () => {
  it('refuses most of 150 mutations over one graphql-ws socket with TOO_MANY_REQUESTS, as HTTP does', async () => {
    const socket = await openSocket(admin);
    try {
      // One after another, as the issue sent them (at once, WS_MAX_SUBSCRIPTIONS would refuse most).
      const outcomes: string[] = [];
      for (let i = 0; i < 150; i += 1) {
        outcomes.push(await socket.request({ query: 'mutation { removeWebhook(id: "none") }' }));
      }
      const refused = outcomes.filter((o) => /TOO_MANY_REQUESTS/.test(o));
      const answered = outcomes.filter((o) => o.startsWith('next'));
      expect(refused.length + answered.length).toBe(150);
      // A burst of MUTATIONS_PER_MINUTE (60), and one a second after it.
      expect(answered.length).toBeGreaterThanOrEqual(60);
      expect(refused.length).toBeGreaterThanOrEqual(80);
      for (const outcome of refused) expect(outcome).toMatch(/MUTATIONS_PER_MINUTE.*"retryAfterSeconds":\d+/);
      expect(refused[0]).not.toMatch(/"http"/);
      // The same caller over HTTP shares the bucket: refused too.
      const http = await post({ query: 'mutation { removeWebhook(id: "none") }' }, admin);
      expect(http.status).toBe(429);
    } finally {
      socket.close();
    }
  });

  it('holds the argument caps and the budget over WebSocket too', async () => {
    const socket = await openSocket(viewer);
    try {
      const ids = Array.from({ length: 2_000 }, (_, i) => `ACC-${i}`);
      expect(
        await socket.request({
          query: 'query($ids: [ID!]) { draftInvoices(month: "2026-10", accounts: $ids) { account } }',
          variables: { ids },
        }),
      ).toMatch(/variables\.ids is a list of 2000 items/);
      expect(
        await socket.request({ query: `subscription { fileValidation(uploadId: "${'u'.repeat(5_000)}") { status } }` }),
      ).toMatch(/argument uploadId of fileValidation .*GRAPHQL_MAX_STRING_BYTES/);
      expect(await socket.request({ query: `{ ${'meters '.repeat(3_000)}}` })).toMatch(/token limit/);
    } finally {
      socket.close();
    }
  });
});

describe('what an anonymous caller learns (item 9)', () => {
  it('gets UNAUTHENTICATED with no field, argument or type named, whatever its document, key or transport', async () => {
    const probes = [
      '{ nosuchfield }',
      '{ draftInvoices(nosucharg: 1) { account } }',
      'query($x: NoSuchType) { meters }',
      '{ account(id: 1) { nosuch } }',
    ];
    for (const query of probes) {
      for (const headers of [{}, { authorization: 'Bearer not-a-key' }] as Array<Record<string, string>>) {
        const answer = await post({ query }, headers);
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({
          errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }],
        });
        expect(answer.text).not.toMatch(/nosuch|NoSuchType|Did you mean|Cannot query|Unknown|Query|Account/i);
        const get = await fetch(`${t.url}?query=${encodeURIComponent(query)}`, {
          headers: { ...headers, 'apollo-require-preflight': 'true' },
        });
        expect(get.status).toBe(401);
        expect(await get.text()).not.toMatch(/nosuch|Did you mean|Cannot query/i);
      }
    }
    // A viewer's mistake is told in full (the schema is theirs to read).
    const known = await post({ query: '{ nosuchfield }' }, viewer);
    expect(known.body.errors?.[0]?.message).toMatch(/Cannot query field "nosuchfield"/);
  });

  it('answers unknown paths and wrong methods with JSON and a code, never an HTML page', async () => {
    for (const [method, path, status, code] of [
      ['GET', '/nope', 404, 'NOT_FOUND'],
      ['POST', '/nope', 404, 'NOT_FOUND'],
      ['GET', '/nope/deeper.html', 404, 'NOT_FOUND'],
      ['POST', '/healthz', 405, 'METHOD_NOT_ALLOWED'],
      ['DELETE', '/readyz', 405, 'METHOD_NOT_ALLOWED'],
      ['PUT', '/exports/daily-usage.csv', 405, 'METHOD_NOT_ALLOWED'],
      ['POST', '/invoices/1.html', 405, 'METHOD_NOT_ALLOWED'],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method, headers: admin });
      expect({ method, path, status: response.status }).toEqual({ method, path, status });
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      const text = await response.text();
      expect(text).not.toMatch(/<html|<pre|Cannot (GET|POST)/i);
      expect(JSON.parse(text)).toMatchObject({ errors: [{ extensions: { code } }] });
      if (status === 405) expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const response = await fetch(t.url, { method, headers: admin });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, POST');
      expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
    }
  });

  it('/readyz tells a caller without a valid key only whether it is ready; a key reads the details', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-key' }] as Array<Record<string, string>>) {
      const anonymous = await fetch(`${base}/readyz`, { headers });
      expect(await anonymous.json()).toEqual({ status: anonymous.status === 200 ? 'ready' : 'degraded' });
    }
    const withKey = (await (await fetch(`${base}/readyz`, { headers: viewer })).json()) as Record<string, unknown>;
    expect(Object.keys(withKey).sort()).toEqual(['backends', 'problems', 'projections', 'projector', 'role', 'status']);
  });
});

/** A graphql-ws connection, raw: `request` sends one operation and answers its first message, as text. */
async function openSocket(headers: Record<string, string>): Promise<{
  request: (payload: Record<string, unknown>) => Promise<string>;
  close: () => void;
}> {
  const socket = new WebSocket(t.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const acknowledged = new Promise((resolve) => socket.once('message', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: headers }));
  await acknowledged;
  const waiting = new Map<string, (outcome: string) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: string; type: string; payload?: unknown };
    if (message.id === undefined || message.type === 'complete') return;
    waiting.get(message.id)?.(`${message.type} ${JSON.stringify(message.payload)}`);
    waiting.delete(message.id);
  });
  socket.on('close', (code) => {
    for (const resolve of waiting.values()) resolve(`closed ${code}`);
    waiting.clear();
  });
  let next = 0;
  return {
    request: (payload) =>
      new Promise((resolve) => {
        const id = String(next++);
        waiting.set(id, resolve);
        socket.send(JSON.stringify({ id, type: 'subscribe', payload }));
      }),
    close: () => socket.close(),
  };
}
