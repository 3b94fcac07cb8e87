/**
 * Requests that could take the server down are refused with a GraphQL error and a code, and the server
 * keeps serving: oversized documents (aliases, depth, tokens), bodies over their limit, batches,
 * malformed multipart, oversized WebSocket messages, too many connections and subscriptions, watches
 * of uploads that never start, and more uploads at once than the service takes.
 */
import { Readable } from 'node:stream';
import WebSocket from 'ws';
import { graphql, startTestServer, uploadFile, wsClient, type TestServer } from '../support/test-server';

const base = (url: string): string => url.replace(/\/graphql$/, '');
const wsUrl = (url: string): string => url.replace(/^http/, 'ws');
const VALIDATION_SUBSCRIPTION = `subscription($id: ID!) { fileValidation(uploadId: $id) { status processedRows } }`;

/** The server still answers a plain query. */
async function stillServing(url: string): Promise<void> {
  const health = await fetch(`${base(url)}/healthz`);
  expect(health.status).toBe(200);
  const meters = await graphql(url, '{ meters }');
  expect(meters.errors).toBeUndefined();
}

/** Opens a raw WebSocket with the graphql-ws subprotocol; resolves when it opens or fails. */
function openSocket(url: string): Promise<{ socket: WebSocket; refusedWith: number | null }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws');
    socket.once('open', () => resolve({ socket, refusedWith: null }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ socket, refusedWith: response.statusCode ?? -1 });
      socket.terminate();
    });
    socket.once('error', () => undefined);
  });
}

/** A socket that sends its connection_init (auth is off here) and is acknowledged: it counts as connected. */
async function connectedSocket(url: string): Promise<WebSocket> {
  const { socket, refusedWith } = await openSocket(url);
  if (refusedWith !== null) throw new Error(`refused with ${refusedWith}`);
  const acknowledged = new Promise<void>((resolve) =>
    socket.once('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve();
    }),
  );
  socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await acknowledged;
  return socket;
}

/** Subscribes and waits for the first error, or the first payload, or the end. */
function firstOutcome(client: ReturnType<typeof wsClient>, id: string) {
  return new Promise<{ kind: 'error' | 'next' | 'complete'; detail: unknown }>((resolve) => {
    client.subscribe(
      { query: VALIDATION_SUBSCRIPTION, variables: { id } },
      {
        next: (value) => resolve({ kind: 'next', detail: value }),
        error: (error) => resolve({ kind: 'error', detail: error }),
        complete: () => resolve({ kind: 'complete', detail: null }),
      },
    );
  });
}

describe('request limits', () => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer({
      WS_MAX_CONNECTIONS: '3',
      WS_MAX_SUBSCRIPTIONS: '2',
      UPLOAD_WATCH_START_MS: '400',
      MAX_CONCURRENT_UPLOADS: '1',
    });
  });
  afterAll(async () => {
    await test.close();
  });

  it('refuses a document with 1,000 aliases, one 50 levels deep and one of too many tokens', async () => {
    // 100 aliases stay under the token limit and meet the alias rule; 1,000 meet the token limit first.
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: meters`).join(' ')} }`;
    const aliased = await graphql(test.url, aliases(100));
    expect(aliased.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(aliased.errors?.[0]?.message).toMatch(/aliases/i);
    expect(aliased.data ?? null).toBeNull();
    const thousand = await graphql(test.url, aliases(1_000));
    expect(thousand.errors?.[0]?.message).toMatch(/token limit/i);
    expect(thousand.data ?? null).toBeNull();

    const deep = `{ ${'__schema { types { fields { type { ofType { '.repeat(10)}name${' } } } } }'.repeat(10)} }`;
    const deepAnswer = await graphql(test.url, deep);
    expect(deepAnswer.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(deepAnswer.errors?.[0]?.message).toMatch(/depth/i);

    const tokens = `{ meters ${'__typename '.repeat(3_000)}}`;
    const tokenAnswer = await graphql(test.url, tokens);
    expect(tokenAnswer.errors?.[0]?.extensions?.code).toMatch(/^GRAPHQL_(PARSE|VALIDATION)_FAILED$/);
    expect(tokenAnswer.errors?.[0]?.message).toMatch(/token limit/i);
    await stillServing(test.url);
  });

  it('answers a 10 MB body, a batch of 100 operations and malformed multipart with JSON errors, no stack or paths', async () => {
    const big = await fetch(test.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ meters }', variables: { pad: 'x'.repeat(10 * 1024 * 1024) } }),
    });
    expect(big.status).toBe(413);
    const bigBody = (await big.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(bigBody.errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');

    const batch = await fetch(test.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 100 }, () => ({ query: '{ meters }' }))),
    });
    expect(batch.status).toBe(400);
    expect(await batch.text()).toMatch(/batching/i);

    // The map before the operations: the multipart spec's order broken.
    const form = new FormData();
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append(
      'operations',
      JSON.stringify({ query: 'mutation($file: Upload!) { uploadReadings(file: $file) { status } }' }),
    );
    form.append('0', new Blob(['metering_point_id,timestamp,kwh\n']), 'r.csv');
    const malformed = await fetch(test.url, {
      method: 'POST',
      headers: { 'Apollo-Require-Preflight': 'true' },
      body: form,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/json');
    const text = await malformed.text();
    expect(JSON.parse(text)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    expect(text).not.toMatch(/node_modules|\/src\/|at [A-Za-z]+ \(/);
    await stillServing(test.url);
  });

  it('closes a socket whose message is over 64 KB before parsing it, and refuses connections over the cap', async () => {
    const { socket } = await openSocket(test.url);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(await closed).toBe(1009);

    // Connections count once they are authenticated (their connection_init answered).
    const open = await Promise.all([connectedSocket(test.url), connectedSocket(test.url), connectedSocket(test.url)]);
    const refused = await openSocket(test.url);
    expect(refused.refusedWith).toBe(503);
    for (const s of open) s.close();
    await Promise.all(open.map((s) => new Promise((resolve) => s.once('close', resolve))));
    await stillServing(test.url);
  });

  it('bounds subscriptions per connection, and ends a watch of an upload that never starts', async () => {
    const client = wsClient(test.url);
    try {
      const started = Date.now();
      const outcomes = await Promise.all([
        firstOutcome(client, 'never-1'),
        firstOutcome(client, 'never-2'),
        firstOutcome(client, 'never-3'),
      ]);
      const errors = outcomes.map((o) => JSON.stringify(o.detail));
      // Two run and end with "not started" after 0.4 s; the third is refused at once.
      expect(outcomes.map((o) => o.kind)).toEqual(['error', 'error', 'error']);
      expect(errors.filter((e) => e.includes('TOO_MANY_REQUESTS'))).toHaveLength(1);
      expect(errors.filter((e) => /no upload never-\d started within/.test(e))).toHaveLength(2);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await client.dispose();
    }
    await stillServing(test.url);
  });

  it("refuses a caller's mutations over MUTATIONS_PER_MINUTE with TOO_MANY_REQUESTS, other keys and queries unaffected", async () => {
    const limited = await startTestServer({
      ADMIN_TOKEN: 'admin-token',
      VIEWER_TOKEN: 'viewer-token',
      MUTATIONS_PER_MINUTE: '2',
    });
    try {
      const admin = { authorization: 'Bearer admin-token' };
      const key = 'mutation { createApiKey(name: "k-NAME", role: VIEWER) { apiKey { id } } }';
      const answers = [];
      for (const name of ['one', 'two', 'three'])
        answers.push(await graphql(limited.url, key.replace('NAME', name), {}, admin));
      expect(answers.map((a) => a.errors?.[0]?.extensions?.code ?? 'ok')).toEqual(['ok', 'ok', 'TOO_MANY_REQUESTS']);
      expect(answers[2]!.errors?.[0]?.message).toMatch(/more than 2 mutations a minute .* try again in 30 s/);
      expect(answers[2]!.status).toBe(429);
      expect((await graphql(limited.url, '{ meters }', {}, admin)).errors).toBeUndefined();
      // The viewer's own bucket is full (its mutation is refused for its role, not its rate).
      const viewer = await graphql(
        limited.url,
        key.replace('NAME', 'four'),
        {},
        { authorization: 'Bearer viewer-token' },
      );
      expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await limited.close();
    }
  });

  it('refuses an upload over MAX_CONCURRENT_UPLOADS with TOO_MANY_REQUESTS, then takes the next one', async () => {
    // The first upload's file arrives slowly: it holds the only slot until its last bytes are sent.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowFile = Readable.from(
      (async function* () {
        yield Buffer.from('metering_point_id,timestamp,kwh\nMP-1,2026-10-01T00:00:00+03:00,1.5\n');
        await held;
        yield Buffer.from('MP-1,2026-10-01T00:15:00+03:00,0.5\n');
      })(),
    );
    const first = test.server.services!.uploads.uploadReadings({
      fileName: 'slow.csv',
      content: slowFile,
      uploadedBy: null,
    });
    const refused = await uploadFile(test.url, 'metering_point_id,timestamp,kwh\nMP-2,2026-10-01T00:00:00+03:00,1\n');
    expect(refused.errors?.[0]?.extensions?.code).toBe('TOO_MANY_REQUESTS');
    release();
    expect((await first).status).toBe('VALIDATED');
    const next = await uploadFile(test.url, 'metering_point_id,timestamp,kwh\nMP-2,2026-10-01T00:00:00+03:00,1\n');
    expect(next.data?.uploadReadings.status).toBe('VALIDATED');
  });
});
