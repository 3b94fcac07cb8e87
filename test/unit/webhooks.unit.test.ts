import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextAttemptAt, RETRY_WINDOW_MS, retryable, WEBHOOK_STREAM_PREFIX } from '../../src/domain/webhooks/events';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { WebhookDispatcher, type Send } from '../../src/webhooks/dispatcher';
import { signatureHeader, verifySignature } from '../../src/webhooks/signature';
import { checkTarget, isPrivateAddress } from '../../src/webhooks/target-guard';
import { dropBody } from '../../src/webhooks/dispatcher';
import { loadWebhookSecrets, openWebhookSecrets, rotateWebhookKey, WebhookSecrets } from '../../src/webhooks/secrets';
import { WebhookService } from '../../src/webhooks/webhook-service';

const secrets = new WebhookSecrets(Buffer.alloc(32, 7));

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('webhook targets', () => {
  it('knows private, loopback, link-local and reserved addresses from public ones', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
    ]) {
      expect([address, isPrivateAddress(address)]).toEqual([address, true]);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) {
      expect([address, isPrivateAddress(address)]).toEqual([address, false]);
    }
  });

  it('takes http(s) only, and refuses names that resolve inside the network unless allowed', async () => {
    const resolve = (host: string) => Promise.resolve(host === 'inside.example' ? ['10.0.0.5'] : ['93.184.216.34']);
    await expect(checkTarget('ftp://x.example/', false, resolve)).rejects.toThrow('only http and https');
    await expect(checkTarget('not a url', false, resolve)).rejects.toThrow('is not a URL');
    await expect(checkTarget('https://inside.example/hook', false, resolve)).rejects.toThrow('WEBHOOK_ALLOW_PRIVATE');
    await expect(checkTarget('http://127.0.0.1:9/hook', false, resolve)).rejects.toThrow('private or local');
    await expect(checkTarget('https://public.example/hook', false, resolve)).resolves.toBeInstanceOf(URL);
    await expect(checkTarget('http://127.0.0.1:9/hook', true, resolve)).resolves.toBeInstanceOf(URL);
  });

  // Attack F of the "safe to expose" issue: IPv6 forms of inside addresses, and IANA special-purpose blocks.
  it.each([
    'http://[::ffff:127.0.0.1]:4000/hook',
    'http://[::ffff:169.254.169.254]/latest/meta-data',
    'http://[::ffff:10.0.0.1]/hook',
    'http://[::127.0.0.1]/hook',
    'http://[64:ff9b::7f00:1]/hook',
    'http://[64:ff9b:1::a00:1]/hook',
    'http://[::ffff:0:7f00:1]/hook',
    'http://[2002:7f00:1::1]/hook',
    'http://[2001:db8::1]/hook',
    'http://[2001::1]/hook',
    'http://[100::1]/hook',
    'http://198.18.0.1/hook',
    'http://198.19.255.255/hook',
    'http://192.0.0.8/hook',
    'http://192.0.2.1/hook',
    'http://2130706433/hook', // 127.0.0.1 as one number: the URL parser reads it so
    'http://0x7f.1/hook',
  ])('refuses %s', async (url) => {
    await expect(checkTarget(url, false, () => Promise.resolve([]))).rejects.toThrow('private or local');
  });

  it.each([
    ['http://[64:ff9b::808:808]/hook', 'NAT64 of a public address'],
    ['http://[2002:808:808::1]/hook', '6to4 of a public address'],
    ['http://[2606:4700::1111]/hook', 'global unicast'],
    ['http://[::ffff:8.8.8.8]/hook', 'mapped public address'],
  ])('delivers to %s (%s)', async (url) => {
    await expect(checkTarget(url, false, () => Promise.resolve([]))).resolves.toBeInstanceOf(URL);
  });

  it('judges every address a name resolves to, in any of its forms', async () => {
    const resolve = () => Promise.resolve(['93.184.216.34', '::ffff:7f00:1']);
    await expect(checkTarget('https://rebinding.example/hook', false, resolve)).rejects.toThrow('::ffff:7f00:1');
  });
});

describe('a receiver answer', () => {
  it('is read only a few KB whatever its size', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024));
        if (pulled >= 300 * 1024 * 1024) controller.close();
      },
    });
    await dropBody(new Response(body));
    expect(pulled).toBeLessThanOrEqual(3 * 64 * 1024);
  });
});

describe('webhook signatures and retries', () => {
  it('signs timestamp and body together, verifiable in constant time and within a tolerance', () => {
    const header = signatureHeader('s3cret', '{"a":1}', 1_800_000_000);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('s3cret', '{"a":1}', header, 1_800_000_010)).toBe(true);
    expect(verifySignature('s3cret', '{"a":2}', header, 1_800_000_010)).toBe(false);
    expect(verifySignature('other', '{"a":1}', header, 1_800_000_010)).toBe(false);
    expect(verifySignature('s3cret', '{"a":1}', header, 1_800_001_000)).toBe(false);
  });

  it('backs off 1 s doubling up to an hour, and stops 24 hours after the issue', () => {
    expect(nextAttemptAt(1, 10_000, 0)).toBe(11_000);
    expect(nextAttemptAt(2, 10_000, 0)).toBe(12_000);
    expect(nextAttemptAt(20, 10_000, 0)).toBe(10_000 + 3_600_000);
    expect(nextAttemptAt(20, RETRY_WINDOW_MS - 1_000, 0)).toBe(RETRY_WINDOW_MS);
    expect(nextAttemptAt(21, RETRY_WINDOW_MS, 0)).toBeNull();
    expect([500, 503, 408, 429].map(retryable)).toEqual([true, true, true, true]);
    expect([400, 401, 404, 410].map(retryable)).toEqual([false, false, false, false]);
  });
});

describe('the webhook dispatcher', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const issue = (store: SqliteEventStore, n: number) =>
    store.appendToStream(
      'invoices-2026',
      [
        {
          id: `00000000-0000-4000-8000-00000000000${n}`,
          type: 'InvoiceIssued',
          data: { number: `2026-00000${n}`, total: '1.00' },
        },
      ],
      {
        expectedRevision: 'any',
      },
    );

  it('retries 5xx and network errors with backoff, records the delivery once, and never resends it after a restart', async () => {
    const db = openSqliteDatabase(join(dir, 'db.sqlite'));
    const store = new SqliteEventStore(db, { pollIntervalMs: 5 });
    let now = 1_000_000;
    const answers: Array<number | Error> = [503, new Error('connection reset'), 200];
    const received: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
    const send: Send = (url, request) => {
      received.push({ url, headers: request.headers, body: request.body });
      const answer = answers.shift() ?? 200;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    };
    const service = new WebhookService(
      store,
      { allowPrivate: true, secrets },
      () => new Date(now),
      () => null,
    );
    const hook = await service.register('http://127.0.0.1:9/hook', null);
    await issue(store, 1);
    const options = { allowPrivate: true, timeoutMs: 1_000, concurrency: 2, now: () => now, send, tickMs: 5, secrets };
    const dispatcher = new WebhookDispatcher(store, options, silent);
    await dispatcher.start();
    const until = async (condition: () => boolean) => {
      for (let i = 0; i < 1_000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
      expect(condition()).toBe(true);
    };
    await until(() => received.length === 1);
    expect(dispatcher.pending(null)).toMatchObject([{ attempts: 1, lastStatusCode: 503, nextAttemptAt: now + 1_000 }]);
    now += 1_000;
    await until(() => received.length === 2);
    await until(() => dispatcher.pending(null)[0]?.attempts === 2);
    now += 2_000;
    await until(() => received.length === 3 && dispatcher.pending(null).length === 0);
    const ids = new Set(received.map((r) => r.headers['x-delivery-id']));
    expect(ids.size).toBe(1);
    for (const r of received) {
      expect(verifySignature(hook.secret, r.body, r.headers['x-signature']!, Math.floor(now / 1000))).toBe(true);
    }
    expect(JSON.parse(received[0]!.body)).toMatchObject({ type: 'invoice.issued', data: { number: '2026-000001' } });
    await dispatcher.stop();
    expect(await service.deliveries(hook.webhookId, 10)).toMatchObject([
      { status: 'DELIVERED', attempts: 3, statusCode: 200 },
    ]);

    // After a restart only what has no outcome is sent: the new invoice, not the delivered one.
    await issue(store, 2);
    const again = new WebhookDispatcher(store, options, silent);
    await again.start();
    await until(() => received.length === 4 && again.pending(null).length === 0);
    expect(JSON.parse(received[3]!.body)).toMatchObject({ data: { number: '2026-000002' } });
    await again.stop();
    db.close();
  });

  it('gives up at once on a 4xx that is not worth retrying, and tells webhooks registered later nothing of earlier invoices', async () => {
    const db = openSqliteDatabase(join(dir, 'db.sqlite'));
    const store = new SqliteEventStore(db, { pollIntervalMs: 5 });
    const received: string[] = [];
    const send: Send = (url) => {
      received.push(url);
      return Promise.resolve(url.endsWith('/gone') ? 410 : 200);
    };
    const service = new WebhookService(
      store,
      { allowPrivate: true, secrets },
      () => new Date(),
      () => null,
    );
    const gone = await service.register('http://127.0.0.1:9/gone', ['InvoiceIssued']);
    await issue(store, 1);
    const late = await service.register('http://127.0.0.1:9/late', null);
    await issue(store, 2);
    const dispatcher = new WebhookDispatcher(
      store,
      { allowPrivate: true, timeoutMs: 1_000, concurrency: 1, now: Date.now, send, tickMs: 5, secrets },
      silent,
    );
    await dispatcher.start();
    for (let i = 0; i < 1_000 && received.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 1_000 && dispatcher.pending(null).length > 0; i++) await new Promise((r) => setTimeout(r, 5));
    await dispatcher.stop();
    expect(received.sort()).toEqual(['http://127.0.0.1:9/gone', 'http://127.0.0.1:9/gone', 'http://127.0.0.1:9/late']);
    expect(await service.deliveries(gone.webhookId, 10)).toMatchObject([
      { status: 'FAILED', attempts: 1, error: 'HTTP 410' },
      { status: 'FAILED', attempts: 1, error: 'HTTP 410' },
    ]);
    expect(await service.deliveries(late.webhookId, 10)).toMatchObject([
      { status: 'DELIVERED', number: '2026-000002' },
    ]);
    expect(await service.remove(late.webhookId)).toBe(true);
    expect((await service.list()).map((w) => w.webhookId)).toEqual([gone.webhookId]);
    db.close();
  });

  /** `count` invoices numbered 2026-000001…, appended a hundred at a time. */
  const issueMany = async (store: SqliteEventStore, count: number) => {
    for (let start = 0; start < count; start += 100) {
      const events = [];
      for (let n = start + 1; n <= Math.min(count, start + 100); n++)
        events.push({
          id: randomUUID(),
          type: 'InvoiceIssued',
          data: { number: `2026-${String(n).padStart(6, '0')}` },
        });
      await store.appendToStream('invoices-2026', events, { expectedRevision: 'any' });
    }
  };
  const numberOf = (body: string) => (JSON.parse(body) as { data: { number: string } }).data.number;

  it('holds at most two pages of a backlog per webhook, and a receiver that hangs holds only its own attempts', async () => {
    const db = openSqliteDatabase(join(dir, 'db.sqlite'));
    const store = new SqliteEventStore(db, { pollIntervalMs: 5 });
    const service = new WebhookService(
      store,
      { allowPrivate: true, secrets },
      () => new Date(),
      () => null,
    );
    const hung = await service.register('http://127.0.0.1:9/hung', null);
    await service.register('http://127.0.0.1:9/healthy', null);
    await issueMany(store, 1_000);
    const healthy = new Set<string>();
    let hungAttempts = 0;
    const send: Send = (url, request) => {
      if (url.endsWith('/healthy')) {
        healthy.add(numberOf(request.body));
        return Promise.resolve(200);
      }
      hungAttempts += 1;
      // Never answers; ends only when the dispatcher stops.
      return new Promise((_resolve, reject) =>
        request.signal?.addEventListener('abort', () => reject(new Error('stopped'))),
      );
    };
    const dispatcher = new WebhookDispatcher(
      store,
      { allowPrivate: true, timeoutMs: 1_000, concurrency: 3, pageSize: 10, now: Date.now, send, tickMs: 5, secrets },
      silent,
    );
    await dispatcher.start();
    let most = 0;
    for (let i = 0; i < 2_000 && healthy.size < 1_000; i++) {
      most = Math.max(most, dispatcher.pending(null).length);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(healthy.size).toBe(1_000);
    expect(hungAttempts).toBe(3); // its own three slots, held
    expect(dispatcher.pending(hung.webhookId).length).toBeLessThanOrEqual(20);
    expect(most).toBeLessThanOrEqual(40); // two webhooks, two pages of ten each at most
    await dispatcher.stop();
    db.close();
  }, 30_000);

  it('delivers on past one delivery that keeps failing, and after a restart sends only what has no outcome', async () => {
    const db = openSqliteDatabase(join(dir, 'db.sqlite'));
    const store = new SqliteEventStore(db, { pollIntervalMs: 5 });
    const service = new WebhookService(
      store,
      { allowPrivate: true, secrets },
      () => new Date(),
      () => null,
    );
    const hook = await service.register('http://127.0.0.1:9/hook', null);
    await issueMany(store, 100);
    // The receiver refuses invoice 5 (503, retried) and, in the first run, 37 and 38 too.
    let refused = new Set(['2026-000005', '2026-000037', '2026-000038']);
    const received: string[] = [];
    const send: Send = (_url, request) => {
      const number = numberOf(request.body);
      received.push(number);
      return Promise.resolve(refused.has(number) ? 503 : 200);
    };
    let now = 1_000_000;
    const options = {
      allowPrivate: true,
      timeoutMs: 1_000,
      concurrency: 2,
      pageSize: 10,
      now: () => now,
      send,
      tickMs: 5,
      secrets,
    };
    const first = new WebhookDispatcher(store, options, silent);
    await first.start();
    const until = async (condition: () => boolean | Promise<boolean>) => {
      for (let i = 0; i < 2_000 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 5));
      expect(await condition()).toBe(true);
    };
    // 97 delivered although invoice 5, far behind, is still owed: one failing delivery holds one place.
    await until(() => new Set(received).size === 100 && first.pending(null).length === 3);
    await until(
      async () => (await service.deliveries(hook.webhookId, 200)).filter((d) => d.status === 'DELIVERED').length === 97,
    );
    expect(
      first
        .pending(null)
        .map((p) => p.number)
        .sort(),
    ).toEqual([...refused].sort());
    await first.stop();

    // Restarted: only the three without an outcome are sent, each once, though outcomes came out of order.
    refused = new Set();
    received.length = 0;
    now += 60_000;
    const second = new WebhookDispatcher(store, options, silent);
    await second.start();
    await until(() => received.length === 3 && second.pending(null).length === 0);
    expect(received.sort()).toEqual(['2026-000005', '2026-000037', '2026-000038']);
    await issueMany(store, 1); // one more invoice (its number repeats 1: a new document all the same)
    await until(() => received.length === 4 && second.pending(null).length === 0);
    await second.stop();
    const outcomes = await service.deliveries(hook.webhookId, 200);
    expect(outcomes.filter((d) => d.status === 'DELIVERED')).toHaveLength(101);
    expect(new Set(outcomes.map((d) => d.deliveryId)).size).toBe(101);
    db.close();
  }, 30_000);

  describe('webhook signing secrets', () => {
    it('are derived from the server key: the log holds none, and a registration made before keeps its own', async () => {
      const db = openSqliteDatabase(join(dir, 'secrets.sqlite'));
      const store = new SqliteEventStore(db, { pollIntervalMs: 5 });
      const service = new WebhookService(
        store,
        { allowPrivate: true, secrets },
        () => new Date(),
        () => null,
      );
      const hook = await service.register('http://127.0.0.1:9/hook', null);
      expect(hook.secret).toBe(secrets.secretOf(hook.webhookId));
      expect(new WebhookSecrets(Buffer.alloc(32, 8)).secretOf(hook.webhookId)).not.toBe(hook.secret);
      const logged: unknown[] = [];
      for await (const recorded of store.readAll({ streamPrefixes: [WEBHOOK_STREAM_PREFIX] }))
        logged.push(recorded.data);
      expect(JSON.stringify(logged)).not.toContain(hook.secret);
      expect(logged[0]).not.toHaveProperty('secret');

      // A version-1 registration, with its secret in the event, is signed with that secret.
      await store.appendToStream(
        `${WEBHOOK_STREAM_PREFIX}old`,
        [
          {
            id: randomUUID(),
            type: 'WebhookRegistered',
            data: {
              webhookId: 'old',
              url: 'http://127.0.0.1:9/old',
              events: ['InvoiceIssued'],
              secret: 'v1-secret',
              registeredAt: new Date().toISOString(),
            },
          },
        ],
        { expectedRevision: 'no_stream' },
      );
      const signed: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
      const send: Send = (url, request) => {
        signed.push({ url, ...request });
        return Promise.resolve(200);
      };
      await issue(store, 1);
      const dispatcher = new WebhookDispatcher(
        store,
        { allowPrivate: true, timeoutMs: 1_000, concurrency: 1, now: Date.now, send, tickMs: 5, secrets },
        silent,
      );
      await dispatcher.start();
      for (let i = 0; i < 1_000 && signed.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
      await dispatcher.stop();
      const at = Math.floor(Date.now() / 1000);
      const byUrl = new Map(signed.map((s) => [s.url, s]));
      const old = byUrl.get('http://127.0.0.1:9/old')!;
      const derived = byUrl.get('http://127.0.0.1:9/hook')!;
      expect(verifySignature('v1-secret', old.body, old.headers['x-signature']!, at)).toBe(true);
      expect(verifySignature(hook.secret, derived.body, derived.headers['x-signature']!, at)).toBe(true);
      db.close();
    });

    it('come from a key file made once, private to the user, unless WEBHOOK_SECRET_KEY is set', () => {
      const keyFile = join(dir, 'keys', 'webhook-secret.key');
      const first = loadWebhookSecrets({ key: null, keyFile });
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(loadWebhookSecrets({ key: null, keyFile }).secretOf('w')).toBe(first.secretOf('w'));
      const fromEnv = loadWebhookSecrets({ key: 'k'.repeat(32), keyFile });
      expect(fromEnv.secretOf('w')).not.toBe(first.secretOf('w'));
    });

    it('are never made again over a lost key file while webhooks sign with it; a rotation makes a new key on purpose', async () => {
      const db = openSqliteDatabase(join(dir, 'lost.sqlite'));
      const store = new SqliteEventStore(db, { pollIntervalMs: 5 });
      const keyFile = join(dir, 'webhook-secret.key');
      // No webhook yet: the first start makes the key.
      const first = await openWebhookSecrets({ key: null, keyFile }, store);
      const service = new WebhookService(
        store,
        { allowPrivate: true, secrets: first },
        () => new Date(),
        () => null,
      );
      const hook = await service.register('http://127.0.0.1:9/hook', null);
      rmSync(keyFile);
      await expect(openWebhookSecrets({ key: null, keyFile }, store)).rejects.toThrow(
        `the webhook key file ${keyFile} is missing, and 1 registered webhook(s) sign with the key it held`,
      );
      await expect(openWebhookSecrets({ key: null, keyFile }, store)).rejects.toThrow('npm run webhooks:rotate-key');
      expect(existsSync(keyFile)).toBe(false);

      const rotated = rotateWebhookKey(keyFile, new Date('2026-12-07T12:00:00Z'));
      expect(rotated.previous).toBeNull();
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const reopened = await openWebhookSecrets({ key: null, keyFile }, store);
      expect(reopened.secretOf(hook.webhookId)).toBe(rotated.secrets.secretOf(hook.webhookId));
      expect(reopened.secretOf(hook.webhookId)).not.toBe(hook.secret);
      // Rotating again keeps the key it replaces beside the file.
      const again = rotateWebhookKey(keyFile, new Date('2026-12-07T13:00:00Z'));
      expect(again.previous).not.toBeNull();
      expect(loadWebhookSecrets({ key: null, keyFile: again.previous! }).secretOf('w')).toBe(reopened.secretOf('w'));
      // Removed, the webhook no longer needs the key: a lost file is made again.
      await service.remove(hook.webhookId);
      rmSync(keyFile);
      await expect(openWebhookSecrets({ key: null, keyFile }, store)).resolves.toBeInstanceOf(WebhookSecrets);
      db.close();
    });
  });
});
