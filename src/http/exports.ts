import type { Request, Response, Router } from 'express';
import express from 'express';
import type { ApiKeyService } from '../access/api-key-service';
import { datesBetween, MAX_RANGE_DAYS, parseLocalDate, parseMonth } from '../domain/billing/calendar';
import type { BillingQueries } from '../ports/billing-read-model';
import { dailyUsageDto, invoiceDto } from '../resolvers/billing-dto';

/** Rows read from the read model at a time: memory stays flat whatever the export's size. */
const PAGE = 1_000;
/** Invoices pages are capped by the read model's own page size. */
const INVOICE_PAGE = 500;

const DAILY_COLUMNS = [
  'meter',
  'date',
  'totalKwh',
  'minKwh',
  'maxKwh',
  'avgKwh',
  'intervals',
  'expectedIntervals',
  'complete',
  'energyCost',
  'unpricedIntervals',
] as const;
const INVOICE_COLUMNS = [
  'meter',
  'month',
  'totalKwh',
  'energyCost',
  'currency',
  'averagePricePerKwh',
  'averageDailyKwh',
  'intervals',
  'expectedIntervals',
  'unpricedIntervals',
  'status',
] as const;

/**
 * A CSV cell. Numbers and booleans are written as GraphQL shows them; text that a spreadsheet would
 * run as a formula (starting with = + - @, a tab or a carriage return) gets a leading apostrophe, and
 * text with a comma, quote or line break is quoted.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

class ExportInputError extends Error {}

function dateParam(req: Request, name: string): string {
  const value = req.query[name];
  if (typeof value !== 'string' || parseLocalDate(value) === null) {
    throw new ExportInputError(`${name} must be a date YYYY-MM-DD`);
  }
  return value;
}

/** Writes and waits for the socket to drain when its buffer is full (the export streams, it is not held). */
async function write(res: Response, text: string): Promise<void> {
  if (!res.write(text)) await new Promise<void>((resolve) => res.once('drain', resolve));
}

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/**
 * `GET /exports/daily-usage.csv?from=&to=[&meter=]` and `GET /exports/invoices.csv?month=`: the same
 * figures as the GraphQL queries, streamed page by page, sorted by meter then date (or month), with the
 * same keys and roles (any role may export).
 */
export function exportsRouter(deps: { billing: BillingQueries; access: ApiKeyService }): Router {
  const router = express.Router();

  const authenticated = async (req: Request, res: Response): Promise<boolean> => {
    const caller = await deps.access.authenticate(req.headers.authorization);
    if (caller.role !== null) return true;
    fail(res, 401, 'UNAUTHENTICATED', 'send Authorization: Bearer <key> with a valid key');
    return false;
  };

  const stream = async (
    req: Request,
    res: Response,
    fileName: string,
    rows: () => AsyncGenerator<readonly unknown[]>,
    header: readonly string[],
  ): Promise<void> => {
    res.status(200);
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="${fileName}"`);
    await write(res, csvLine(header));
    for await (const row of rows()) {
      if (req.destroyed) return;
      await write(res, csvLine(row));
    }
    res.end();
  };

  const handle =
    (run: (req: Request, res: Response) => Promise<void>) =>
    (req: Request, res: Response): void => {
      run(req, res).catch((error: unknown) => {
        if (res.headersSent) {
          // Half an export must not pass for a whole one: the connection is cut, the client sees an error.
          res.destroy(error instanceof Error ? error : new Error(String(error)));
        } else if (error instanceof ExportInputError) {
          fail(res, 400, 'BAD_USER_INPUT', error.message);
        } else {
          fail(res, 503, 'BACKEND_UNAVAILABLE', 'the read store did not answer; try again shortly');
        }
      });
    };

  router.get(
    '/daily-usage.csv',
    handle(async (req, res) => {
      if (!(await authenticated(req, res))) return;
      const fromDate = dateParam(req, 'from');
      const toDate = dateParam(req, 'to');
      const days = datesBetween(fromDate, toDate).length;
      if (days < 1 || days > MAX_RANGE_DAYS) throw new ExportInputError(`from..to must be 1 to ${MAX_RANGE_DAYS} days`);
      const meter = typeof req.query.meter === 'string' && req.query.meter !== '' ? req.query.meter : null;
      await stream(
        req,
        res,
        `daily-usage-${fromDate}-${toDate}.csv`,
        async function* () {
          let after: { meter: string; date: string } | null = null;
          for (;;) {
            const page = await deps.billing.dailyUsagePage({ fromDate, toDate, meter }, after, PAGE);
            for (const doc of page) {
              const dto = dailyUsageDto(doc);
              yield DAILY_COLUMNS.map((column) => dto[column]);
            }
            if (page.length < PAGE) return;
            const last = page[page.length - 1]!;
            after = { meter: last.meter, date: last.date };
          }
        },
        DAILY_COLUMNS,
      );
    }),
  );

  router.get(
    '/invoices.csv',
    handle(async (req, res) => {
      if (!(await authenticated(req, res))) return;
      const month = req.query.month;
      if (typeof month !== 'string' || parseMonth(month) === null) throw new ExportInputError('month must be YYYY-MM');
      await stream(
        req,
        res,
        `invoices-${month}.csv`,
        async function* () {
          let after: string | null = null;
          for (;;) {
            const page = await deps.billing.invoices(month, null, INVOICE_PAGE, after);
            for (const item of page.items) {
              const dto = invoiceDto(item.node);
              yield INVOICE_COLUMNS.map((column) => dto[column]);
            }
            if (!page.hasNextPage || page.items.length === 0) return;
            after = page.items[page.items.length - 1]!.cursor;
          }
        },
        INVOICE_COLUMNS,
      );
    }),
  );
  return router;
}
