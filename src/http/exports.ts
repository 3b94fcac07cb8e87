import type { Request, Response, Router } from 'express';
import express from 'express';
import type { ApiKeyService, Caller } from '../access/api-key-service';
import { daysInRange, MAX_RANGE_DAYS, parseLocalDate, parseMonth } from '../domain/billing/calendar';
import type { BillingQueries } from '../ports/billing-read-model';
import { dailyUsageView, invoiceView, type DailyUsageView, type InvoiceView } from '../views/billing';
import { csvLine } from '../common/csv';
import { budgetHolder, type QueryBudget } from '../graphql/query-budget';
import { authenticatedCaller, fail } from './json-errors';
import { writeParquet, type ParquetColumn } from './parquet-stream';

/** Rows read from the read model at a time: memory stays flat whatever the export's size. */
const PAGE = 1_000;
/** Invoices pages are capped by the read model's own page size. */
const INVOICE_PAGE = 500;

/** Columns of the exports, in order, with their Parquet types; values are the GraphQL DTOs' fields. */
const DAILY_COLUMNS = [
  { name: 'meter', type: 'STRING', nullable: false },
  { name: 'kind', type: 'STRING', nullable: false },
  { name: 'channel', type: 'STRING', nullable: false },
  { name: 'date', type: 'STRING', nullable: false },
  { name: 'totalKwh', type: 'DOUBLE', nullable: false },
  { name: 'minKwh', type: 'DOUBLE', nullable: false },
  { name: 'maxKwh', type: 'DOUBLE', nullable: false },
  { name: 'avgKwh', type: 'DOUBLE', nullable: false },
  { name: 'intervals', type: 'INT32', nullable: false },
  { name: 'expectedIntervals', type: 'INT32', nullable: false },
  { name: 'complete', type: 'BOOLEAN', nullable: false },
  { name: 'energyCost', type: 'STRING', nullable: false },
  { name: 'unpricedIntervals', type: 'INT32', nullable: false },
] as const satisfies readonly (ParquetColumn & { name: keyof DailyUsageView })[];
const INVOICE_COLUMNS = [
  { name: 'meter', type: 'STRING', nullable: false },
  { name: 'month', type: 'STRING', nullable: false },
  { name: 'totalKwh', type: 'DOUBLE', nullable: false },
  { name: 'energyCost', type: 'STRING', nullable: false },
  { name: 'currency', type: 'STRING', nullable: false },
  { name: 'averagePricePerKwh', type: 'STRING', nullable: true },
  { name: 'averageDailyKwh', type: 'DOUBLE', nullable: false },
  { name: 'intervals', type: 'INT32', nullable: false },
  { name: 'expectedIntervals', type: 'INT32', nullable: false },
  { name: 'unpricedIntervals', type: 'INT32', nullable: false },
  { name: 'status', type: 'STRING', nullable: false },
] as const satisfies readonly (ParquetColumn & { name: keyof InvoiceView })[];

type ExportFormat = 'csv' | 'parquet';

class ExportInputError extends Error {}

/** Refuses a parameter the export does not take (`meters=`, `meter[]=`): ignored, it would widen the export silently. */
function onlyParams(req: Request, known: readonly string[]): void {
  const unknown = Object.keys(req.query).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new ExportInputError(
      `unknown parameter ${JSON.stringify(unknown[0]!.slice(0, 64))}: this export takes ${known.join(', ')}`,
    );
  }
}

function dateParam(req: Request, name: string): string {
  const value = req.query[name]; // eslint-disable-line local/no-plain-dictionary -- name is this file's own parameter name
  if (typeof value !== 'string' || parseLocalDate(value) === null) {
    throw new ExportInputError(`${name} must be a date YYYY-MM-DD`);
  }
  return value;
}

/** Writes and waits for the socket to drain when its buffer is full (the export streams, it is not held). */
async function write(res: Response, text: string | Buffer): Promise<void> {
  if (!res.write(text)) await new Promise<void>((resolve) => res.once('drain', resolve));
}

/**
 * `GET /exports/daily-usage.{csv,parquet}?from=&to=[&meter=]` and `GET /exports/invoices.{csv,parquet}?month=`: the same
 * figures as the GraphQL queries, streamed page by page, sorted by meter then date (or month), with the
 * same keys and roles (any role may export).
 */
export function exportsRouter(deps: {
  billing: BillingQueries;
  access: ApiKeyService;
  queryBudget: QueryBudget;
}): Router {
  const router = express.Router();

  /**
   * The caller's budget holder when its budget (shared with its GraphQL queries) takes the first page;
   * else the 429 is answered here and null given. Every page costs its rows.
   */
  const admit = (req: Request, res: Response, caller: Caller, pageRows: number): string | null => {
    const holder = budgetHolder({ ...caller, clientAddress: req.ip });
    const refused = deps.queryBudget.refusal(holder, Math.min(pageRows, deps.queryBudget.maxCost));
    if (refused === null) return holder;
    res.status(429).json({
      errors: [
        {
          message: `${refused.message}; an export costs one item a row`,
          extensions: { code: 'TOO_MANY_REQUESTS', retryAfterSeconds: refused.extensions.retryAfterSeconds },
        },
      ],
    });
    return null;
  };

  /** Waits until the caller's budget takes the next page: a long export runs at QUERY_COST_PER_SECOND rows a second. */
  const nextPage = async (req: Request, holder: string, pageRows: number): Promise<void> => {
    for (;;) {
      const refused = deps.queryBudget.refusal(holder, Math.min(pageRows, deps.queryBudget.maxCost));
      if (refused === null || req.destroyed) return;
      const seconds = Number(refused.extensions.retryAfterSeconds ?? 1);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, seconds) * 1000));
    }
  };

  /** Sends the rows as CSV (a header line, then a line a row) or as one Parquet file, streamed either way. */
  const stream = async (
    req: Request,
    res: Response,
    format: ExportFormat,
    fileStem: string,
    columns: readonly ParquetColumn[],
    rows: () => AsyncGenerator<readonly unknown[]>,
  ): Promise<void> => {
    res.status(200);
    res.setHeader('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.apache.parquet');
    res.setHeader('content-disposition', `attachment; filename="${fileStem}.${format}"`);
    if (format === 'parquet') {
      await writeParquet(
        columns,
        (async function* () {
          for await (const row of rows()) {
            if (req.destroyed) return;
            yield row;
          }
        })(),
        (bytes) => write(res, bytes),
        { createdBy: 'energy-billing' },
      );
      if (req.destroyed) return;
    } else {
      await write(res, csvLine(columns.map((column) => column.name)));
      for await (const row of rows()) {
        if (req.destroyed) return;
        await write(res, csvLine(row));
      }
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

  const dailyUsage = (format: ExportFormat) =>
    handle(async (req, res) => {
      const caller = await authenticatedCaller(deps.access, req, res);
      if (caller === null) return;
      onlyParams(req, ['from', 'to', 'meter']);
      const meterParam = req.query.meter;
      if (meterParam !== undefined && typeof meterParam !== 'string') {
        throw new ExportInputError('meter must be one meter id, given once (or left out for every meter)');
      }
      const fromDate = dateParam(req, 'from');
      const toDate = dateParam(req, 'to');
      const days = daysInRange(fromDate, toDate);
      if (days < 1 || days > MAX_RANGE_DAYS) throw new ExportInputError(`from..to must be 1 to ${MAX_RANGE_DAYS} days`);
      const meter = meterParam !== undefined && meterParam !== '' ? meterParam : null;
      const holder = admit(req, res, caller, PAGE);
      if (holder === null) return;
      await stream(req, res, format, `daily-usage-${fromDate}-${toDate}`, DAILY_COLUMNS, async function* () {
        let after: { meter: string; date: string } | null = null;
        for (;;) {
          if (after !== null) await nextPage(req, holder, PAGE);
          const page = await deps.billing.dailyUsagePage({ fromDate, toDate, meter }, after, PAGE);
          for (const doc of page) {
            const dto = dailyUsageView(doc);
            yield DAILY_COLUMNS.map((column) => dto[column.name]);
          }
          if (page.length < PAGE) return;
          const last = page[page.length - 1]!;
          after = { meter: last.meter, date: last.date };
        }
      });
    });

  const invoices = (format: ExportFormat) =>
    handle(async (req, res) => {
      const caller = await authenticatedCaller(deps.access, req, res);
      if (caller === null) return;
      onlyParams(req, ['month']);
      const month = req.query.month;
      if (typeof month !== 'string' || parseMonth(month) === null) throw new ExportInputError('month must be YYYY-MM');
      const holder = admit(req, res, caller, INVOICE_PAGE);
      if (holder === null) return;
      await stream(req, res, format, `invoices-${month}`, INVOICE_COLUMNS, async function* () {
        let after: string | null = null;
        for (;;) {
          if (after !== null) await nextPage(req, holder, INVOICE_PAGE);
          const page = await deps.billing.invoices(month, null, INVOICE_PAGE, after);
          for (const item of page.items) {
            const dto = invoiceView(item.node);
            yield INVOICE_COLUMNS.map((column) => dto[column.name]);
          }
          if (!page.hasNextPage || page.items.length === 0) return;
          after = page.items[page.items.length - 1]!.cursor;
        }
      });
    });

  router.get('/daily-usage.csv', dailyUsage('csv'));
  router.get('/daily-usage.parquet', dailyUsage('parquet'));
  router.get('/invoices.csv', invoices('csv'));
  router.get('/invoices.parquet', invoices('parquet'));
  return router;
}
