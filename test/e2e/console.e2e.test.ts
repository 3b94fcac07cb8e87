/**
 * The admin console in a real browser (Debian's Chromium driven by playwright-core, no download): sign
 * in with a key, upload a generated file through the page and watch the progress reach the end, find
 * every bad line among the rejected rows, import prices, read the month's invoice totals as GraphQL gives
 * them, open a meter's charts and the operations page. Screenshots of each screen go to
 * test/e2e/screenshots/ (gitignored) for review.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { emptyCounts, generatePrices, generateReadings } from '../../src/tools/readings-generator';
import { graphql, startTestServer, type TestServer } from '../support/test-server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(__dirname, 'screenshots');
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
const VIEWER_TOKEN = 'e2e-viewer-token-0123456789abcdef';
// Without a browser the suite cannot run: CI installs it (.ci/run), a developer may not have it.
const available = existsSync(CHROMIUM);
if (!available && process.env.CI === 'true') throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);
const suite = available ? describe : describe.skip;

jest.setTimeout(90_000);

suite('admin console in Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let readingsPath: string;
  let pricesPath: string;
  const counts = emptyCounts();
  const origin = () => t.url.replace(/\/graphql$/, '');
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'console-e2e-'));
    readingsPath = join(dir, 'october.csv');
    pricesPath = join(dir, 'prices.csv');
    const lines = [...generateReadings({ month: '2026-10', meters: 4, errorRate: 0.02, seed: 17 }, counts)];
    writeFileSync(readingsPath, `${lines.join('\n')}\n`);
    writeFileSync(pricesPath, `${[...generatePrices({ month: '2026-10' })].join('\n')}\n`);
    t = await startTestServer({ ADMIN_TOKEN, VIEWER_TOKEN });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs in with a key, refusing a wrong one', async () => {
    await page.goto(`${origin()}/`);
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await shot('01-sign-in');
    await page.getByLabel('API key').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Upload readings' }).waitFor();
  });

  it('uploads a file through the page and shows the progress to the end, then the receipt', async () => {
    await page.getByTestId('file-input').setInputFiles(readingsPath);
    await page.getByText('data lines').waitFor();
    await page.getByRole('button', { name: 'Upload and validate' }).click();
    const receipt = page.getByTestId('receipt');
    await receipt.waitFor({ timeout: 60_000 });
    await shot('02-upload-receipt');
    const rejected = counts.rows - counts.valid;
    expect(await page.getByTestId('progress-counts').innerText()).toContain(
      `${counts.rows.toLocaleString('en-US')} rows processed: ${counts.valid.toLocaleString('en-US')} accepted, ${rejected.toLocaleString('en-US')} rejected`,
    );
    expect(await page.locator('#validation-progress').getAttribute('value')).toBe('1');
    expect(await receipt.innerText()).toContain('VALIDATED');
    // The channels the file held: a base file without a channel column is all import.
    const channels = await page.getByTestId('channels').locator('tbody tr').allInnerTexts();
    expect(channels.map((row) => row.split('\t').slice(0, 3))).toEqual([['IMPORT', 'IMPORT', 'kWh']]);
  });

  it("opens the upload's rejected rows and finds every bad line", async () => {
    await page.getByRole('link', { name: /Open the upload/ }).click();
    await page.getByTestId('rejected-rows').waitFor();
    const expected = (
      (await graphql(
        t.url,
        `
          {
            uploads(first: 1) {
              edges {
                node {
                  uploadId
                }
              }
            }
          }
        `,
        {},
        admin,
      )) as any
    ).data.uploads.edges[0].node.uploadId as string;
    const api = await graphql(
      t.url,
      `
        query ($id: ID!) {
          rejectedRows(uploadId: $id, first: 500) {
            totalCount
            edges {
              node {
                line
              }
            }
          }
        }
      `,
      { id: expected },
      admin,
    );
    const apiLines = ((api.data as any).rejectedRows.edges as Array<{ node: { line: number } }>).map(
      (e) => e.node.line,
    );
    expect(apiLines).toHaveLength(counts.rows - counts.valid);
    const seen: number[] = [];
    for (;;) {
      const cells = await page.locator('[data-testid="rejected-rows"] tbody tr td:first-child').allInnerTexts();
      seen.push(...cells.map(Number));
      const next = page.getByRole('button', { name: 'Next' });
      if (await next.isDisabled()) break;
      const firstBefore = cells[0];
      await next.click();
      // The next page is shown once its first line differs (a page never repeats a line).
      for (
        let i = 0;
        i < 200 &&
        (await page.locator('[data-testid="rejected-rows"] tbody tr td:first-child').first().innerText()) ===
          firstBefore;
        i++
      ) {
        await page.waitForTimeout(20);
      }
    }
    expect(seen.sort((a, b) => a - b)).toEqual([...apiLines].sort((a, b) => a - b));
    await shot('03-rejected-rows');
  });

  it('imports prices on the prices screen and draws them', async () => {
    await page.getByRole('link', { name: 'Prices' }).click();
    await page.getByLabel('From').fill('2026-10-01');
    await page.getByLabel('To').fill('2026-10-31');
    await page.locator('input[type=file]').setInputFiles(pricesPath);
    await page.getByRole('status').filter({ hasText: 'Imported 31 days' }).waitFor();
    await page.locator('.chart canvas').first().waitFor();
    await shot('04-prices');
  });

  it('shows the month of invoices with the same totals GraphQL gives, sortable and filterable', async () => {
    await page.goto(`${origin()}/#/invoices?month=2026-10`);
    await page.getByTestId('invoices').waitFor();
    await page.getByTestId('total-cost').filter({ hasText: 'EUR' }).waitFor();
    const api = await graphql(
      t.url,
      `
        {
          invoices(month: "2026-10", first: 500) {
            edges {
              node {
                meter
                totalKwh
                energyCost
              }
            }
          }
        }
      `,
      {},
      admin,
    );
    const nodes = (
      (api.data as any).invoices.edges as Array<{ node: { meter: string; totalKwh: number; energyCost: string } }>
    ).map((e) => e.node);
    expect(nodes).toHaveLength(4);
    const cents = nodes.reduce((sum, n) => sum + BigInt(n.energyCost.replace('.', '')), 0n);
    const cost = `${(cents / 100n).toLocaleString('en-US')}.${String(cents % 100n).padStart(2, '0')} EUR`;
    expect(await page.getByTestId('total-cost').innerText()).toBe(cost);
    const kwh = nodes.reduce((sum, n) => sum + Math.round(n.totalKwh * 1e6), 0) / 1e6;
    expect(await page.getByTestId('total-kwh').innerText()).toBe(
      kwh.toLocaleString('en-US', { maximumFractionDigits: 6 }),
    );
    // Each meter's row shows the API's own figures.
    for (const node of nodes) {
      const row = page.locator('[data-testid="invoices"] tbody tr', { hasText: node.meter });
      expect(await row.locator('td').nth(2).innerText()).toContain(
        node.energyCost.replace(/\B(?=(\d{3})+(?!\d))/, ','),
      );
    }
    await page.getByRole('button', { name: /Energy cost/ }).click();
    await page.getByRole('button', { name: /Energy cost/ }).click(); // descending
    const first = await page.locator('[data-testid="invoices"] tbody tr td:first-child').first().innerText();
    const most = [...nodes].sort((a, b) => Number(b.energyCost) - Number(a.energyCost))[0]!.meter;
    expect(first).toBe(most);
    // A click into one invoice shows its details.
    await page.locator('[data-testid="invoices"] tbody tr td:first-child button').first().click();
    expect(await page.getByTestId('invoice-detail').innerText()).toContain('intervals (15 minutes)');
    await shot('05-invoices');
    await page.getByLabel('Status').selectOption('MISSING_PRICES');
    expect(await page.locator('[data-testid="invoices"] tbody tr').count()).toBe(0);
    await page.getByLabel('Status').selectOption('');
  });

  it("opens a meter's daily usage and a day's profile with prices", async () => {
    await page.getByRole('link', { name: /^Usage and prices of / }).click();
    await page.getByRole('heading', { name: /^Meter / }).waitFor();
    await page.locator('.chart canvas').nth(2).waitFor();
    expect(await page.locator('.chart').count()).toBe(3);
    // The days of the month, each with its import, its export (none here) and the quality of its readings.
    expect(await page.getByTestId('meter-channels').innerText()).toContain('IMPORT (IMPORT, kWh)');
    const days = await page.getByTestId('meter-days').locator('tbody tr').allInnerTexts();
    expect(days.length).toBeGreaterThan(0);
    expect(days[0]!.split('\t')[2]).toBe('—');
    await shot('06-meter');
  });

  it('shows the operations page with every projection caught up, and replays', async () => {
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByTestId('readiness').filter({ hasText: 'ready' }).waitFor();
    await page.getByRole('button', { name: 'Replay projections' }).click();
    await page.getByRole('status').filter({ hasText: 'Rebuilt upload-status, billing, accounts' }).waitFor();
    await shot('07-operations');
  });

  it("shows the month's account invoices, issues from the page and opens an issued invoice", async () => {
    const setup = await graphql(
      t.url,
      `
        mutation {
          createAccount(
            input: {
              id: "ACC-E"
              name: "E2E Bakery"
              vatRate: "0.20"
              tariff: { kind: DYNAMIC, factor: "1", marginEurMwh: "10", standingChargePerDay: "0.50" }
            }
          ) {
            id
          }
          assignMeter(account: "ACC-E", meter: "MP000001", from: "2026-10-01") {
            id
          }
        }
      `,
      {},
      admin,
    );
    expect(setup.errors).toBeUndefined();
    await page.goto(`${origin()}/#/accounts?month=2026-10`);
    await page.getByText('E2E Bakery').waitFor();
    // The file had bad rows, so the draft lacks readings: issuing from the page skips it, saying why.
    await page.getByRole('button', { name: 'Issue complete drafts' }).click();
    await page.getByRole('status').filter({ hasText: 'skipped ACC-E: MISSING_READINGS' }).waitFor();
    const forced = await graphql(
      t.url,
      `
        mutation {
          issueInvoices(month: "2026-10", force: true) {
            issued {
              number
              total
            }
          }
        }
      `,
      {},
      admin,
    );
    const issued = (forced.data as any).issueInvoices.issued[0] as { number: string; total: string };
    await page.reload();
    const popup = page.waitForEvent('popup');
    await page.getByRole('button', { name: issued.number, exact: true }).click();
    const document = await popup;
    await document.waitForLoadState();
    expect(await document.content()).toContain(`Invoice ${issued.number}`);
    expect(await document.content()).toContain(`>${issued.total}<`);
    await document.close();
    // No supplier is set yet: the e-invoice is refused with the reason and the fix.
    await page.getByRole('button', { name: `${issued.number} as UBL e-invoice` }).click();
    await page.getByRole('alert').filter({ hasText: 'setSupplier' }).waitFor();
    await shot('08-accounts');
  });

  it('sets the supplier and a customer, opens an account and assigns a meter from the customers page', async () => {
    await page.goto(`${origin()}/#/customers`);
    const supplier = page.getByRole('form', { name: 'Supplier details' });
    await supplier.getByLabel('Legal name').fill('Stadtwerke E2E GmbH');
    await supplier.getByLabel('VAT id').fill('DE123456789');
    await supplier.getByLabel('Street').fill('Hafenstraße 1');
    await supplier.getByLabel('Postal code').fill('20457');
    await supplier.getByLabel('City').fill('Hamburg');
    await supplier.getByLabel('Country (ISO code)').fill('DE');
    await supplier.getByLabel('IBAN').fill('DE89 3704 0044 0532 0130 01');
    await supplier.getByRole('button', { name: 'Save supplier' }).click();
    // A wrong IBAN is refused with the service's message naming the field.
    await supplier.getByRole('alert').filter({ hasText: 'supplier.iban' }).waitFor();
    await supplier.getByLabel('IBAN').fill('DE89 3704 0044 0532 0130 00');
    await supplier.getByRole('button', { name: 'Save supplier' }).click();
    await supplier.getByRole('status').filter({ hasText: 'Supplier details saved' }).waitFor();

    const opening = page.getByRole('form', { name: 'New account' });
    await opening.getByLabel('Account id').fill('ACC-WEB');
    await opening.getByLabel('Name').fill('Müller & Söhne <GmbH>');
    await opening.getByLabel('Unit price EUR/MWh').fill('150');
    await opening.getByRole('button', { name: 'Open account' }).click();
    await opening.getByRole('status').filter({ hasText: 'Account ACC-WEB opened.' }).waitFor();

    await page.getByRole('button', { name: 'Change ACC-WEB' }).click();
    const billing = page.getByRole('form', { name: 'Billing details of ACC-WEB' });
    await billing.getByLabel('Street').fill('Ring 7');
    await billing.getByLabel('Postal code').fill('50667');
    await billing.getByLabel('City').fill('Köln');
    await billing.getByLabel('Country (ISO code)').fill('DE');
    await billing.getByLabel('Customer VAT id').fill('DE987654321');
    await billing.getByRole('button', { name: 'Save billing details' }).click();
    await billing.getByRole('status').filter({ hasText: 'Billing details of ACC-WEB saved' }).waitFor();
    const assign = page.getByRole('form', { name: 'Assign a meter to ACC-WEB' });
    await assign.getByLabel('Meter').fill('MP000002');
    await assign.getByLabel('From').fill('2026-10-01');
    await assign.getByRole('button', { name: 'Assign meter' }).click();
    await assign.getByRole('status').filter({ hasText: 'Meter MP000002 assigned to ACC-WEB' }).waitFor();
    await page.getByRole('cell', { name: 'Ring 7, 50667 Köln, DE, VAT DE987654321' }).waitFor();
    await shot('09-customers');

    const read = await graphql(
      t.url,
      '{ supplier { legalName iban } account(id: "ACC-WEB") { name billing { vatId } meters { meter from to } } }',
      {},
      admin,
    );
    expect(read.data).toEqual({
      supplier: { legalName: 'Stadtwerke E2E GmbH', iban: 'DE89370400440532013000' },
      account: {
        name: 'Müller & Söhne <GmbH>',
        billing: { vatId: 'DE987654321' },
        meters: [{ meter: 'MP000002', from: '2026-10-01', to: null }],
      },
    });
  });

  it('shows a viewer no upload, no import and no replay', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').fill(VIEWER_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('(viewer)').waitFor();
    // The start page of a viewer is the uploads list (the key stays in the tab through a reload).
    await page.goto(`${origin()}/#/`);
    await page.getByRole('heading', { name: 'Uploads' }).waitFor();
    expect(
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload', exact: true }).count(),
    ).toBe(0);
    await page.getByRole('link', { name: 'Prices' }).click();
    await page.getByRole('heading', { name: 'Market prices' }).waitFor();
    expect(await page.getByText('Import a price CSV').count()).toBe(0);
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByTestId('readiness').waitFor();
    expect(await page.getByRole('button', { name: 'Replay projections' }).count()).toBe(0);
    await shot('09-viewer');
  });

  it('serves the console as static files under a strict content policy, with no data in them', async () => {
    const response = await fetch(`${origin()}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await (await fetch(`${origin()}/console.js`)).text();
    expect(script).not.toContain('MP000001');
    // Without a key the API answers nothing.
    const anonymous = await graphql(t.url, '{ uploads { totalCount } }');
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
