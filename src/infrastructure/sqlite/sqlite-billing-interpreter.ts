/**
 * Runs the billing program's requests against SQLite, synchronously, inside the transaction the read
 * model opened for the program: one request, one answer.
 */
import type { Statement } from 'better-sqlite3';
import type { DailyUsageDoc, PriceInterval } from '../../domain/billing/daily-usage';
import { encodeSlots } from '../../domain/billing/meter-day';
import type { BillingAnswer, BillingRequest } from '../../ports/billing-read-model';
import { prefixEnd, statement } from './database';
import { DAILY_FIELDS, dailyValues, slotsOf, type BillingModel, type SlotColumns } from './sqlite-billing-schema';

export function answerBillingRequest(model: BillingModel, request: BillingRequest): BillingAnswer {
  const { t, tables } = model;
  const sql = (text: string): Statement => statement(model.db, text);
  switch (request.op) {
    case 'stageBatch':
      sql(`INSERT OR REPLACE INTO ${t.staged} (upload_id, batch, data) VALUES (?, ?, ?)`).run(
        request.uploadId,
        request.batch,
        request.bytes,
      );
      return undefined;
    case 'stagedBatches':
      return (
        sql(`SELECT batch, data FROM ${t.staged} WHERE upload_id = ? AND batch > ? ORDER BY batch LIMIT ?`).all(
          request.uploadId,
          request.afterBatch,
          request.limit,
        ) as Array<{ batch: number; data: Buffer }>
      ).map((row) => ({ batch: row.batch, bytes: row.data }));
    case 'dropStaged':
      sql(`DELETE FROM ${t.staged} WHERE upload_id = ?`).run(request.uploadId);
      return undefined;
    case 'uploadApplied':
      return sql(`SELECT 1 FROM ${t.applied} WHERE upload_id = ?`).get(request.uploadId) !== undefined;
    case 'markApplied':
      sql(`INSERT OR REPLACE INTO ${t.applied} (upload_id, position) VALUES (?, ?)`).run(
        request.uploadId,
        request.position,
      );
      return undefined;
    case 'meterDays': {
      const select = sql(`SELECT * FROM ${t.slots} WHERE date = ? AND meter = ?`);
      return request.keys.flatMap((key) => {
        const row = select.get(key.date, key.meter) as SlotColumns | undefined;
        return row === undefined ? [] : [slotsOf(row)];
      });
    }
    case 'meterDaysOfDate':
      return (
        sql(`SELECT * FROM ${t.slots} WHERE date = ? AND meter > ? ORDER BY meter LIMIT ?`).all(
          request.date,
          request.afterMeter ?? '',
          request.limit,
        ) as SlotColumns[]
      ).map(slotsOf);
    case 'putMeterDays': {
      const putSlots = sql(
        `INSERT OR REPLACE INTO ${t.slots} (date, meter, interval_minutes, day_start, slots) VALUES (?, ?, ?, ?, ?)`,
      );
      const putDaily = sql(
        `INSERT OR REPLACE INTO ${t.daily} (meter, date, total_kwh_micro, min_kwh_micro, max_kwh_micro, intervals,
           expected_intervals, priced_intervals, priced_kwh_micro, cost_femto, quality_marks)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const d of request.days) {
        putSlots.run(d.date, d.meter, d.intervalMinutes, d.dayStart, encodeSlots(d));
        putDaily.run(...dailyValues(d));
      }
      return undefined;
    }
    case 'putDayTotals': {
      const update = sql(
        `UPDATE ${t.daily} SET total_kwh_micro = ?, min_kwh_micro = ?, max_kwh_micro = ?, intervals = ?,
           expected_intervals = ?, priced_intervals = ?, priced_kwh_micro = ?, cost_femto = ?, quality_marks = ?
         WHERE meter = ? AND date = ?`,
      );
      for (const d of request.days) {
        const [meter, date, ...figures] = dailyValues(d);
        update.run(...figures, meter, date);
      }
      return undefined;
    }
    case 'pendingDays': {
      const select = sql(
        `SELECT meter, date, interval_minutes, day_start, slots FROM ${t.pending} WHERE upload_id = ? AND meter = ? AND date = ?`,
      );
      return request.keys.flatMap((key) => {
        const row = select.get(request.uploadId, key.meter, key.date) as SlotColumns | undefined;
        return row === undefined ? [] : [slotsOf(row)];
      });
    }
    case 'putPendingDays': {
      const put = sql(
        `INSERT OR REPLACE INTO ${t.pending} (upload_id, meter, date, total_kwh_micro, min_kwh_micro, max_kwh_micro,
           intervals, expected_intervals, priced_intervals, priced_kwh_micro, cost_femto, quality_marks,
           interval_minutes, day_start, slots) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const d of request.days) {
        put.run(request.uploadId, ...dailyValues(d), d.intervalMinutes, d.dayStart, encodeSlots(d));
      }
      return undefined;
    }
    case 'preparation': {
      const row = sql(`SELECT through_batch, complete, stale FROM ${t.prepared} WHERE upload_id = ?`).get(
        request.uploadId,
      ) as { through_batch: number; complete: number; stale: number } | undefined;
      return row === undefined
        ? null
        : { throughBatch: row.through_batch, complete: row.complete === 1, stale: row.stale === 1 };
    }
    case 'putPreparation': {
      const { throughBatch, complete, stale } = request.preparation;
      sql(`INSERT OR REPLACE INTO ${t.prepared} (upload_id, through_batch, complete, stale) VALUES (?, ?, ?, ?)`).run(
        request.uploadId,
        throughBatch,
        complete ? 1 : 0,
        stale ? 1 : 0,
      );
      return undefined;
    }
    case 'stalePreparations':
      sql(`UPDATE ${t.prepared} SET stale = 1 WHERE stale = 0 AND upload_id IS NOT ?`).run(request.except);
      return undefined;
    case 'applyPending': {
      const ready = sql(`SELECT 1 FROM ${t.prepared} WHERE upload_id = ? AND complete = 1 AND stale = 0`);
      if (ready.get(request.uploadId) === undefined) {
        return { prepared: false, touched: [] };
      }
      // Row by row inside SQLite: no day passes through JavaScript, so the commit stays short.
      sql(
        `INSERT OR REPLACE INTO ${t.slots} (date, meter, interval_minutes, day_start, slots)
         SELECT date, meter, interval_minutes, day_start, slots FROM ${t.pending} WHERE upload_id = ?`,
      ).run(request.uploadId);
      sql(
        `INSERT OR REPLACE INTO ${t.daily} (meter, date, total_kwh_micro, min_kwh_micro, max_kwh_micro, intervals,
           expected_intervals, priced_intervals, priced_kwh_micro, cost_femto, quality_marks)
         SELECT meter, date, total_kwh_micro, min_kwh_micro, max_kwh_micro, intervals, expected_intervals,
           priced_intervals, priced_kwh_micro, cost_femto, quality_marks FROM ${t.pending} WHERE upload_id = ?`,
      ).run(request.uploadId);
      const touched = sql(
        `SELECT DISTINCT meter, substr(date, 1, 7) AS month FROM ${t.pending} WHERE upload_id = ?`,
      ).all(request.uploadId) as Array<{ meter: string; month: string }>;
      return { prepared: true, touched };
    }
    case 'dropPending':
      sql(`DELETE FROM ${t.pending} WHERE upload_id = ?`).run(request.uploadId);
      sql(`DELETE FROM ${t.prepared} WHERE upload_id = ?`).run(request.uploadId);
      return undefined;
    case 'prices':
      return priceRows(model, request.market, request.from, request.to);
    case 'putPriceDay': {
      const { day } = request;
      sql(`DELETE FROM ${t.prices} WHERE market = ? AND delivery_date = ?`).run(day.market, day.deliveryDate);
      const insert = sql(
        `INSERT OR REPLACE INTO ${t.prices} (market, start_ms, end_ms, price_micro, delivery_date) VALUES (?, ?, ?, ?, ?)`,
      );
      for (const p of day.intervals) insert.run(day.market, p.start, p.end, p.priceMicro, day.deliveryDate);
      return undefined;
    }
    case 'dailyOfMonth':
      return sql(
        `SELECT ${DAILY_FIELDS} FROM ${t.daily}
         WHERE meter IN (SELECT value FROM json_each(?)) AND date >= ? AND date <= ? ORDER BY meter, date`,
      ).all(JSON.stringify(request.meters), `${request.month}-01`, `${request.month}-31`) as DailyUsageDoc[];
    case 'registerDays': {
      const select = sql(`SELECT * FROM ${t.slots} WHERE date = ? AND meter >= ? AND meter < ? ORDER BY meter`);
      return request.prefixes.flatMap(({ prefix, date }) =>
        (select.all(date, prefix, prefixEnd(prefix)) as SlotColumns[]).map(slotsOf),
      );
    }
    case 'pendingRegisterDays': {
      const select = sql(
        `SELECT meter, date, interval_minutes, day_start, slots FROM ${t.pending}
         WHERE upload_id = ? AND meter >= ? AND meter < ? AND date = ? ORDER BY meter`,
      );
      return request.prefixes.flatMap(({ prefix, date }) =>
        (select.all(request.uploadId, prefix, prefixEnd(prefix), date) as SlotColumns[]).map(slotsOf),
      );
    }
    case 'registersOfMonth': {
      const select = sql(
        `SELECT ${DAILY_FIELDS} FROM ${t.daily} WHERE meter >= ? AND meter < ? AND date >= ? AND date <= ?
         ORDER BY meter, date`,
      );
      return request.prefixes.flatMap(
        (prefix) =>
          select.all(prefix, prefixEnd(prefix), `${request.month}-01`, `${request.month}-31`) as DailyUsageDoc[],
      );
    }
    case 'putInvoices': {
      const put = sql(`INSERT OR REPLACE INTO ${t.invoices} (month, meter, doc) VALUES (?, ?, ?)`);
      for (const invoice of request.invoices) put.run(invoice.month, invoice.meter, JSON.stringify(invoice));
      return undefined;
    }
    case 'checkpoint':
      tables.checkpoints.set(tables.checkpointName, request.position);
      return undefined;
    default: {
      const unhandled: never = request;
      throw new Error(`unknown billing request ${JSON.stringify(unhandled)}`);
    }
  }
}

export function priceRows(model: BillingModel, market: string, from: number, to: number): PriceInterval[] {
  return statement(
    model.db,
    `SELECT start_ms AS start, end_ms AS end, price_micro AS priceMicro FROM ${model.t.prices}
     WHERE market = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms`,
  ).all(market, from, to) as PriceInterval[];
}
