/**
 * The server as `npm start` runs it, in its own process: a stop by signal ends it cleanly and gives the
 * projector lease back at once, so a replay or another projector need not wait for the lease to run out;
 * a kill -9 in the middle of an upload or of the projections' catch-up loses nothing and doubles nothing.
 */
import Database from 'better-sqlite3';
import type { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrices, generateReadings } from '../../src/tools/readings-generator';
import { referenceInvoices, referencePrices, referenceReadings } from '../support/reference-billing';
import { spawnServer } from '../support/spawned-server';
import { graphql, uploadFile } from '../support/test-server';

jest.setTimeout(60_000);
const work = mkdtempSync(join(tmpdir(), 'lifecycle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const startServer = (dataDir: string) => spawnServer(dataDir);

it.each(['SIGTERM', 'SIGINT'] as const)(
  '%s stops the server with exit code 0 and releases the lease',
  async (signal) => {
    const dataDir = join(work, signal);
    const { child, ready } = startServer(dataDir);
    await ready;
    const exited = once(child, 'exit');
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    const db = new Database(join(dataDir, 'read-models.sqlite'), { readonly: true });
    try {
      // Released: its time ended (the row stays, keeping its token for the next tenure).
      expect(db.prepare('SELECT expires_ms AS expiresMs, token FROM projector_lease').all()).toEqual([
        { expiresMs: 0, token: 1 },
      ]);
    } finally {
      db.close();
    }
  },
);

const MONTH = '2026-10';
const readingsCsv = [...generateReadings({ month: MONTH, meters: 150, errorRate: 0.001, seed: 11 })].join('\n');
const pricesCsv = [...generatePrices({ month: MONTH })].join('\n');
const expected = referenceInvoices(referenceReadings(readingsCsv), referencePrices(pricesCsv), MONTH, 'Europe/Sofia');
const IMPORT_PRICES = `mutation($file: Upload!) { importPrices(file: $file) { position } }`;
const INVOICES = `query($month: String!, $after: String, $atLeast: String) {
  invoices(month: $month, first: 100, after: $after, atLeast: $atLeast) {
    totalCount edges { node { meter energyCost intervals unpricedIntervals } } pageInfo { hasNextPage endCursor } } }`;

async function invoicesAt(url: string, atLeast: string | null) {
  const found = new Map<string, { energyCost: string; intervals: number; unpricedIntervals: number }>();
  let after: string | null = null;
  for (;;) {
    const page: any = await graphql(url, INVOICES, { month: MONTH, after, atLeast });
    expect(page.errors).toBeUndefined();
    for (const edge of page.data.invoices.edges) found.set(edge.node.meter, edge.node);
    if (!page.data.invoices.pageInfo.hasNextPage) return found;
    after = page.data.invoices.pageInfo.endCursor;
  }
}

/** After the prices are in: every invoice equals the reference, so no reading was lost or counted twice. */
async function expectReferenceInvoices(url: string): Promise<void> {
  const prices: any = await uploadFile(url, pricesCsv, 'prices.csv', { query: IMPORT_PRICES });
  expect(prices.errors).toBeUndefined();
  const invoices = await invoicesAt(url, prices.data.importPrices.position);
  expect(invoices.size).toBe(expected.size);
  for (const [meter, reference] of expected) {
    expect({ meter, ...invoices.get(meter) }).toEqual({
      meter,
      energyCost: reference.energyCost,
      intervals: reference.intervals,
      unpricedIntervals: reference.unpricedIntervals,
    });
  }
}

async function uploadStatus(url: string, id: string): Promise<{ status: string; acceptedRows: number } | null> {
  const answer: any = await graphql(url, 'query($id: ID!) { upload(id: $id) { status acceptedRows } }', { id });
  return answer.data?.upload ?? null;
}

async function killed(child: ReturnType<typeof spawn>): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

it('kill -9 in the middle of an upload: it is INTERRUPTED after the restart, nothing of it is billed, and the file uploads again whole', async () => {
  const dataDir = join(work, 'mid-upload');
  const first = startServer(dataDir);
  const url = await first.ready;
  const id = randomUUID();
  let answered: unknown = null;
  const uploading = uploadFile(url, readingsCsv, 'october.csv', { uploadId: id }).then(
    (answer) => (answered = answer),
    () => null, // the kill cuts the request off
  );
  // Kill as soon as some of its readings are in the log, before it is validated.
  for (;;) {
    if (answered !== null) throw new Error(`the upload was answered before the kill: ${JSON.stringify(answered)}`);
    const status = await uploadStatus(url, id);
    if (status !== null && status.status !== 'RECEIVED')
      throw new Error(`the upload finished (${status.status}) before the kill`);
    if (status !== null && status.acceptedRows > 0) break;
  }
  await killed(first.child);
  await uploading;

  const second = startServer(dataDir);
  const again = await second.ready;
  try {
    // Marked at start, before the server answers; the status projection shows it once it has caught up.
    let status = await uploadStatus(again, id);
    for (let polls = 0; status?.status !== 'INTERRUPTED' && polls < 500; polls++)
      status = await uploadStatus(again, id);
    expect(status?.status).toBe('INTERRUPTED');
    expect((await invoicesAt(again, null)).size).toBe(0);

    const retry = await uploadFile(again, readingsCsv, 'october.csv');
    expect(retry.data?.uploadReadings).toMatchObject({ status: 'VALIDATED', duplicateOf: null });
    await expectReferenceInvoices(again);
  } finally {
    await killed(second.child);
  }
});

it('kill -9 while the projections catch up: after the restart they resume from their checkpoints and bill every reading once', async () => {
  const dataDir = join(work, 'catch-up');
  const first = startServer(dataDir);
  const url = await first.ready;
  const upload = await uploadFile(url, readingsCsv, 'october.csv');
  expect(upload.data?.uploadReadings.status).toBe('VALIDATED');
  // The receipt comes when the log holds the upload; billing is still applying it now.
  await killed(first.child);

  const second = startServer(dataDir);
  const again = await second.ready;
  try {
    await expectReferenceInvoices(again);
  } finally {
    await killed(second.child);
  }
});
