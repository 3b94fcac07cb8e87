/**
 * GET /invoices/{number}.html: an issued invoice or credit note as a printable page (lines, meters,
 * period, and a chart of the daily usage behind it), self-contained: no script, no outside resource.
 * GET /invoices/{number}.xml?syntax=ubl|cii: the same document as an EN 16931 e-invoice.
 */
import type { Request, Response, Router } from 'express';
import express from 'express';
import type { ApiKeyService } from '../access/api-key-service';
import type { AccountDoc } from '../domain/accounts/account';
import { parseMicro } from '../domain/accounts/decimal';
import { eInvoiceGaps, vatPercent } from '../domain/accounts/e-invoice';
import { parseInvoiceNumber } from '../domain/accounts/events';
import type { PostalAddress } from '../domain/accounts/parties';
import { daysOfMonth, localDateOf } from '../domain/billing/calendar';
import type { DailyUsageDoc } from '../domain/billing/daily-usage';
import type { ZonedClock } from '../domain/time/zoned-time';
import type { AccountsQueries, IssuedDocument } from '../ports/accounts-read-model';
import type { BillingQueries } from '../ports/billing-read-model';
import { EventStoreUnavailableError } from '../ports/event-store';
import { ReadStoreUnavailableError } from '../ports/read-store-errors';
import { eInvoicePath, isEInvoiceSyntax, renderEInvoice } from '../views/e-invoice';
import { authenticated, fail } from './json-errors';

const ENTITIES = new Map([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&quot;'],
  ["'", '&#39;'],
]);
const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES.get(c)!);

/** kWh per local day of the invoice's period, over the days each meter was the account's. */
export function dailyKwh(
  dates: readonly string[],
  assignments: AccountDoc['meters'],
  rows: ReadonlyMap<string, readonly DailyUsageDoc[]>,
): Array<{ date: string; kwh: number }> {
  return dates.map((date) => {
    let micro = 0;
    for (const [meter, days] of rows) {
      const mine = assignments.some((a) => a.meter === meter && a.from <= date && (a.to === null || date <= a.to));
      if (mine) micro += days.find((d) => d.date === date)?.totalKwhMicro ?? 0;
    }
    return { date, kwh: micro / 1_000_000 };
  });
}

/** A bar chart of kWh per day as inline SVG (an empty day is a gap, never a guess). */
export function usageChart(days: ReadonlyArray<{ date: string; kwh: number }>): string {
  const width = 720;
  const height = 180;
  const max = Math.max(...days.map((d) => d.kwh), 0);
  if (days.length === 0 || max === 0) return '<p>No readings in this period.</p>';
  const bar = width / days.length;
  const bars = days
    .map((d, i) => {
      const h = (d.kwh / max) * (height - 20);
      return `<rect x="${(i * bar + 1).toFixed(1)}" y="${(height - h).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${escape(d.date)}: ${d.kwh.toFixed(3)} kWh</title></rect>`;
    })
    .join('');
  return `<svg role="img" aria-label="Daily usage, kWh per day, highest ${max.toFixed(3)} kWh" viewBox="0 0 ${width} ${height}" width="100%" height="${height}" fill="#2f6fab">${bars}</svg>`;
}

function addressLines(address: PostalAddress): string {
  return `${escape(address.street)}<br>${escape(address.postalCode)} ${escape(address.city)}<br>${escape(address.countryCode)}`;
}

/** The seller and buyer blocks: who the document is from and to, as frozen when issued. */
function partiesBlock(doc: IssuedDocument): string {
  const parties = doc.parties;
  const seller =
    parties?.seller == null
      ? '<p>No supplier details were set when this document was issued.</p>'
      : `<p><strong>${escape(parties.seller.legalName)}</strong><br>${addressLines(parties.seller.address)}<br>VAT ${escape(parties.seller.vatId)}${
          parties.seller.registrationId === null ? '' : `<br>${escape(parties.seller.registrationId)}`
        }${parties.seller.iban === null ? '' : `<br>IBAN ${escape(parties.seller.iban)}`}${
          parties.seller.bic === null ? '' : ` · BIC ${escape(parties.seller.bic)}`
        }</p>`;
  const billing = parties?.buyer.billing ?? null;
  const buyer = `<p><strong>${escape(parties?.buyer.name ?? doc.accountName)}</strong> (account ${escape(doc.accountId)})${
    billing === null
      ? '<br>No billing address was set when this document was issued.'
      : `<br>${addressLines(billing.address)}${billing.vatId === null ? '' : `<br>VAT ${escape(billing.vatId)}`}${
          billing.buyerReference === null ? '' : `<br>Your reference ${escape(billing.buyerReference)}`
        }`
  }</p>`;
  return `<div class="parties"><section><h2>From</h2>${seller}</section><section><h2>To</h2>${buyer}</section></div>`;
}

/** The page of an issued document; `issueDate` is its issue date in the billing time zone (as its e-invoice states). */
export function renderInvoice(doc: IssuedDocument, chart: string, issueDate: string): string {
  const title = `${doc.kind === 'CREDIT_NOTE' ? 'Credit note' : 'Invoice'} ${doc.number}`;
  const category = parseMicro(doc.vatRate) === 0n ? 'Z (zero rated)' : 'S (standard rated)';
  const gaps = eInvoiceGaps(doc);
  const eInvoice =
    gaps.length === 0
      ? `<p>E-invoice (EN 16931): <a href="${escape(eInvoicePath(doc.number, 'ubl'))}">UBL</a> · <a href="${escape(eInvoicePath(doc.number, 'cii'))}">CII</a></p>`
      : `<p>No e-invoice: ${gaps.map(escape).join('; ')}.</p>`;
  const lines = doc.lines
    .map(
      (line) =>
        `<tr><td>${escape(line.meter ?? '')}</td><td>${escape(line.description)}</td><td class="n">${escape(line.quantity)} ${escape(line.unit)}</td><td class="n">${escape(line.unitPrice)}</td><td class="n">${escape(line.amount)}</td></tr>`,
    )
    .join('');
  const meters = doc.meters
    .map((m) => `<tr><td>${escape(m.meter)}</td><td class="n">${escape(m.kwh)}</td><td class="n">${m.days}</td></tr>`)
    .join('');
  const links = [
    doc.credits === null ? '' : `<p>Cancels invoice ${escape(doc.credits)}.</p>`,
    doc.replaces === null ? '' : `<p>Replaces invoice ${escape(doc.replaces)}.</p>`,
    doc.creditedBy === null ? '' : `<p><strong>Cancelled by credit note ${escape(doc.creditedBy)}.</strong></p>`,
  ].join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}table{border-collapse:collapse;width:100%;margin:1rem 0}.parties{display:flex;gap:2rem}.parties section{flex:1}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}.n{text-align:right;font-variant-numeric:tabular-nums}tfoot td{font-weight:600}</style>
</head><body>
<h1>${escape(title)}</h1>
<p>Period ${escape(doc.month)} · issued ${escape(issueDate)} · ${escape(doc.currency)}</p>
${partiesBlock(doc)}
${links}
<table><thead><tr><th>Meter</th><th>Description</th><th class="n">Quantity</th><th class="n">Unit price</th><th class="n">Amount</th></tr></thead>
<tbody>${lines}</tbody>
<tfoot><tr><td colspan="4">Subtotal</td><td class="n">${escape(doc.subtotal)}</td></tr>
<tr><td colspan="4">VAT ${escape(doc.vatRate)}</td><td class="n">${escape(doc.vat)}</td></tr>
<tr><td colspan="4">Total</td><td class="n">${escape(doc.total)}</td></tr></tfoot></table>
<h2>VAT breakdown</h2>
<table><thead><tr><th>Category</th><th class="n">Rate</th><th class="n">Taxable amount</th><th class="n">VAT</th></tr></thead>
<tbody><tr><td>${category}</td><td class="n">${escape(vatPercent(doc.vatRate))} %</td><td class="n">${escape(doc.subtotal)}</td><td class="n">${escape(doc.vat)}</td></tr></tbody></table>
${eInvoice}
<h2>Meters</h2>
<table><thead><tr><th>Meter</th><th class="n">kWh</th><th class="n">Days</th></tr></thead><tbody>${meters}</tbody></table>
<h2>Daily usage</h2>
${chart}
</body></html>
`;
}

/** The e-invoice in the syntax asked (ubl by default); 409 naming what the document lacks for one. */
function sendEInvoice(doc: IssuedDocument, req: Request, res: Response, clock: ZonedClock): void {
  const syntax = typeof req.query.syntax === 'string' ? req.query.syntax.toLowerCase() : 'ubl';
  if (!isEInvoiceSyntax(syntax)) {
    fail(res, 400, 'BAD_USER_INPUT', `syntax "${String(req.query.syntax)}" is not ubl or cii`);
    return;
  }
  const issueDate = localDateOf(clock, Date.parse(doc.issuedAt));
  const answer = renderEInvoice(doc, issueDate, syntax);
  if ('gaps' in answer) {
    fail(res, 409, 'CONFLICT', `no e-invoice for ${doc.number}: ${answer.gaps.join('; ')}`);
    return;
  }
  res
    .status(200)
    .setHeader('content-type', 'application/xml; charset=utf-8')
    .setHeader('content-disposition', `inline; filename="${doc.number}-${syntax}.xml"`)
    .send(answer.xml);
}

export function invoiceDocumentRouter(deps: {
  accounts: AccountsQueries;
  billing: BillingQueries;
  access: ApiKeyService;
  clock: ZonedClock;
}): Router {
  const router = express.Router();
  router.get('/:file', (req: Request, res: Response) => {
    void (async () => {
      if (!(await authenticated(deps.access, req, res))) return;
      const file = String(req.params.file ?? '');
      const [, number = '', extension = ''] = /^(.+)\.(html|xml)$/.exec(file) ?? [];
      const doc = parseInvoiceNumber(number) === null ? null : await deps.accounts.issued(number);
      if (doc === null) {
        fail(res, 404, 'NOT_FOUND', `no invoice ${number || file}`);
        return;
      }
      if (extension === 'xml') {
        sendEInvoice(doc, req, res, deps.clock);
        return;
      }
      const month = daysOfMonth(deps.clock, doc.month).map((d) => d.date);
      const account = await deps.accounts.account(doc.accountId);
      const rows = new Map<string, DailyUsageDoc[]>();
      for (const meter of doc.meters)
        rows.set(meter.meter, await deps.billing.dailyUsage(meter.meter, month[0]!, month[month.length - 1]!));
      const chart = usageChart(dailyKwh(month, account?.meters ?? [], rows));
      res
        .status(200)
        .setHeader('content-type', 'text/html; charset=utf-8')
        .setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'")
        .send(renderInvoice(doc, chart, localDateOf(deps.clock, Date.parse(doc.issuedAt))));
    })().catch((error: unknown) => {
      if (res.headersSent) return;
      // A backend that does not answer is the exports' 503, so a client retries either the same way.
      if (error instanceof ReadStoreUnavailableError || error instanceof EventStoreUnavailableError) {
        fail(res, 503, 'BACKEND_UNAVAILABLE', 'the read store did not answer; try again shortly');
      } else fail(res, 500, 'INTERNAL_SERVER_ERROR', 'the invoice could not be rendered');
    });
  });
  return router;
}
