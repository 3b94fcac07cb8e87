/** The invoice page's answers when its backends fail, over real HTTP (the page itself: accounts-invoicing). */
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { ApiKeyService } from '../../src/access/api-key-service';
import { ZonedClock } from '../../src/domain/time/zoned-time';
import { invoiceDocumentRouter } from '../../src/http/invoice-document';
import type { AccountsQueries } from '../../src/ports/accounts-read-model';
import type { BillingQueries } from '../../src/ports/billing-read-model';
import { ReadStoreUnavailableError } from '../../src/ports/read-store-errors';

async function answerWhen(issued: () => Promise<never>): Promise<{ status: number; body: any }> {
  const app = express();
  app.use(
    '/invoices',
    invoiceDocumentRouter({
      accounts: { issued } as unknown as AccountsQueries,
      billing: {} as BillingQueries,
      access: { authenticate: () => Promise.resolve({ role: 'ADMIN' }) } as unknown as ApiKeyService,
      clock: new ZonedClock('Europe/Sofia'),
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/invoices/2026-000001.html`);
    return { status: response.status, body: await response.json() };
  } finally {
    server.close();
  }
}

it('answers 503 BACKEND_UNAVAILABLE when the read store does not answer, as the exports do', async () => {
  const answer = await answerWhen(() => Promise.reject(new ReadStoreUnavailableError('down')));
  expect(answer).toEqual({
    status: 503,
    body: { errors: [{ message: expect.stringContaining('try again'), extensions: { code: 'BACKEND_UNAVAILABLE' } }] },
  });
});

it('answers 500 without details for any other failure', async () => {
  const answer = await answerWhen(() => Promise.reject(new Error('a bug at /work/src/secret.ts')));
  expect(answer.status).toBe(500);
  expect(answer.body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
  expect(JSON.stringify(answer.body)).not.toContain('secret');
});
