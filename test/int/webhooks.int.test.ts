/**
 * Webhooks end to end: a receiver that fails the first two deliveries gets the invoice acknowledged
 * once, signed; the invoiceIssued subscription sees it; and a server killed with -9 between issue and
 * delivery delivers after its restart.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySignature } from '../../src/webhooks/signature';
import { spawnServer } from '../support/spawned-server';
import { collectSubscription, graphql, startTestServer, type TestServer, wsClient } from '../support/test-server';

jest.setTimeout(60_000);

interface Received {
  deliveryId: string;
  signature: string;
  body: string;
}

/** A receiver answering each POST with the next status of `statuses` (then the last one again). */
async function receiver(
  statuses: number[],
): Promise<{ url: string; received: Received[]; server: Server; setStatuses(s: number[]): void }> {
  const received: Received[] = [];
  let answers = [...statuses];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        deliveryId: String(req.headers['x-delivery-id']),
        signature: String(req.headers['x-signature']),
        body: Buffer.concat(chunks).toString(),
      });
      const status = answers.length > 1 ? answers.shift()! : answers[0]!;
      res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/billing`, received, server, setStatuses: (s) => (answers = [...s]) };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const SETUP = `mutation($url: String!) {
  createAccount(input: { id: "ACC-W", name: "Webhook customer", vatRate: "0.20",
    tariff: { kind: FIXED, unitPriceEurMwh: "150", standingChargePerDay: "0.40" } }) { id }
  assignMeter(account: "ACC-W", meter: "MP000001", from: "2026-10-01") { id }
  registerWebhook(url: $url) { id secret events }
}`;
// No readings: the draft is MISSING_READINGS, issued with force (standing charges only).
const ISSUE = `mutation { issueInvoices(month: "2026-10", force: true) { issued { number total } } }`;
const DELIVERIES = `query($id: ID!) { webhookDeliveries(webhook: $id) { deliveryId number status attempts statusCode } }`;

describe('webhooks', () => {
  let t: TestServer;
  afterAll(async () => {
    await t?.close();
  });

  it('retries a failing receiver until it acknowledges, signed, once per invoice; the subscription sees the invoice', async () => {
    const hook = await receiver([503, 500, 200]);
    t = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: 'true' });
    const setup = await graphql(t.url, SETUP, { url: hook.url });
    expect(setup.errors).toBeUndefined();
    const { id, secret, events } = (setup.data as any).registerWebhook;
    expect(events).toEqual(['InvoiceIssued', 'CreditNoteIssued']);

    // A month without drafts issues nothing and answers the log's head: the subscription starts after it.
    const head = (
      (
        await graphql(
          t.url,
          `
            mutation {
              issueInvoices(month: "2026-09") {
                position
              }
            }
          `,
        )
      ).data as any
    ).issueInvoices.position;
    const client = wsClient(t.url);
    const watched = collectSubscription<{ invoiceIssued: { number: string; total: string } }>(
      client,
      'subscription($after: String) { invoiceIssued(after: $after) { number total } }',
      { after: head },
    );
    const issued = await graphql(t.url, ISSUE);
    const invoice = (issued.data as any).issueInvoices.issued[0];
    expect(invoice.total).toBe('14.88'); // 31 days x 0.40 = 12.40, VAT 2.48

    await until(async () => {
      const deliveries = (await graphql(t.url, DELIVERIES, { id })).data as any;
      return deliveries.webhookDeliveries[0]?.status === 'DELIVERED';
    });
    const log = ((await graphql(t.url, DELIVERIES, { id })).data as any).webhookDeliveries;
    expect(log).toEqual([
      {
        deliveryId: hook.received[0]!.deliveryId,
        number: invoice.number,
        status: 'DELIVERED',
        attempts: 3,
        statusCode: 200,
      },
    ]);
    expect(hook.received).toHaveLength(3);
    expect(new Set(hook.received.map((r) => r.deliveryId)).size).toBe(1);
    for (const r of hook.received)
      expect(verifySignature(secret, r.body, r.signature, Math.floor(Date.now() / 1000))).toBe(true);
    expect(JSON.parse(hook.received[2]!.body)).toMatchObject({
      type: 'invoice.issued',
      data: { number: invoice.number, total: '14.88' },
      links: {
        html: `/invoices/${invoice.number}.html`,
        ubl: `/invoices/${invoice.number}.xml?syntax=ubl`,
        cii: `/invoices/${invoice.number}.xml?syntax=cii`,
      },
    });

    await until(() => watched.payloads.length > 0);
    expect(watched.payloads[0]).toEqual({ invoiceIssued: invoice });
    await client.dispose();
    hook.server.close();

    const refused = await graphql(
      t.url,
      `
        mutation {
          registerWebhook(url: "file:///etc/passwd") {
            id
          }
        }
      `,
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('delivers after a kill -9 between issue and delivery: the restarted server sends what was not acknowledged', async () => {
    const hook = await receiver([503]);
    const dataDir = mkdtempSync(join(tmpdir(), 'hooks-kill-'));
    try {
      const first = spawnServer(dataDir, { WEBHOOK_ALLOW_PRIVATE: 'true' });
      const url = await first.ready;
      const setup = await graphql(url, SETUP, { url: hook.url });
      const { id } = (setup.data as any).registerWebhook;
      const number = ((await graphql(url, ISSUE)).data as any).issueInvoices.issued[0].number;
      await until(() => hook.received.length >= 1);
      const exited = once(first.child, 'exit');
      first.child.kill('SIGKILL');
      await exited;

      hook.setStatuses([200]);
      const before = hook.received.length;
      const second = spawnServer(dataDir, { WEBHOOK_ALLOW_PRIVATE: 'true' });
      const again = await second.ready;
      await until(async () => {
        const deliveries = (await graphql(again, DELIVERIES, { id })).data as any;
        return deliveries.webhookDeliveries[0]?.status === 'DELIVERED';
      });
      const delivered = hook.received.slice(before);
      expect(delivered.length).toBeGreaterThanOrEqual(1);
      expect(new Set(hook.received.map((r) => r.deliveryId)).size).toBe(1);
      expect(JSON.parse(delivered[delivered.length - 1]!.body)).toMatchObject({ data: { number } });
      const exitedAgain = once(second.child, 'exit');
      second.child.kill('SIGTERM');
      await exitedAgain;
    } finally {
      hook.server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
