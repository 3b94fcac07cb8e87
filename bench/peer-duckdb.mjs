#!/usr/bin/env node
/**
 * The benchmark's peer: the month's invoices computed by DuckDB SQL straight from the two CSV files, with
 * no event log and no read models. `npm run bench` times it beside the service and checks that every
 * invoice is equal.
 *
 *   node bench/peer-duckdb.mjs READINGS.csv PRICES.csv YYYY-MM [TIME_ZONE] > invoices.csv
 *
 * The rules are the service's for a base-format file of 15-minute readings under hourly prices:
 * - a row has exactly three comma-separated fields (or four, the fourth its channel: only IMPORT rows are
 *   billed, as with a file of two channels); the meter id is 1-64 of [A-Za-z0-9._-] after
 *   trimming; the timestamp is ISO-8601 with `Z` or an offset on the 15-minute grid; kWh is a plain
 *   decimal with a dot, at most MAX_KWH_PER_READING (10000);
 * - of the rows for one meter and instant (however the time is written), the first line wins;
 * - a reading takes the price of the hour that contains its start; a reading with no price is unpriced;
 * - cost is the exact sum of kWh x EUR/MWh / 1000, rounded half away from zero to cents once;
 * - the month is the calendar month in the time zone (default Europe/Sofia, the service's default).
 * Output: metering_point_id,month,total_kwh,energy_cost_eur,intervals,unpriced_intervals, by meter.
 */
import { DuckDBInstance } from '@duckdb/node-api';

const [readingsPath, pricesPath, month, timeZone = 'Europe/Sofia'] = process.argv.slice(2);
if (!readingsPath || !pricesPath || !/^\d{4}-\d{2}$/.test(month ?? '')) {
  process.stderr.write('usage: node bench/peer-duckdb.mjs READINGS.csv PRICES.csv YYYY-MM [TIME_ZONE]\n');
  process.exit(2);
}
const literal = (text) => `'${text.replaceAll("'", "''")}'`;

const instance = await DuckDBInstance.create(':memory:');
const db = await instance.connect();
// Every line whole (a separator and quote that never occur), numbered in file order, then split here:
// a quoted field holding a comma makes a fourth field, as the service counts it.
await db.run(`
  CREATE TABLE line AS
  SELECT row_number() OVER () AS n, text
  FROM read_csv(${literal(readingsPath)}, header = true, columns = {'text': 'VARCHAR'},
                delim = '\x1f', quote = '', escape = '', parallel = false)`);
await db.run(`
  CREATE TABLE reading AS
  WITH split AS (SELECT n, string_split(text, ',') AS f FROM line),
  typed AS (
    SELECT n, trim(f[1]) AS meter,
      CASE WHEN regexp_full_match(trim(f[2]), '\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})')
           THEN try_cast(replace(trim(f[2]), ' ', 'T') AS TIMESTAMPTZ) END AS start,
      CASE WHEN regexp_full_match(trim(f[3]), '\\d+(\\.\\d+)?') THEN try_cast(trim(f[3]) AS DECIMAL(18, 6)) END AS kwh
    FROM split WHERE len(f) = 3 OR (len(f) = 4 AND trim(f[4]) = 'IMPORT'))
  SELECT meter, epoch_ms(start) AS start_ms, kwh
  FROM typed
  WHERE regexp_full_match(meter, '[A-Za-z0-9._-]{1,64}') AND start IS NOT NULL AND kwh IS NOT NULL
    AND kwh <= 10000 AND epoch_ms(start) % 900000 = 0
  QUALIFY row_number() OVER (PARTITION BY meter, epoch_ms(start) ORDER BY n) = 1`);
await db.run(`
  CREATE TABLE price AS
  SELECT epoch_ms(timestamp::TIMESTAMPTZ) AS hour_ms, price_eur_mwh::DECIMAL(18, 6) AS eur_mwh
  FROM read_csv(${literal(pricesPath)}, header = true, all_varchar = true)`);
const invoices = await db.runAndReadAll(`
  SELECT r.meter,
    sum(r.kwh)::VARCHAR AS total_kwh,
    round(sum(r.kwh * p.eur_mwh * 0.001), 2)::VARCHAR AS cost,
    count(*)::INTEGER AS intervals,
    count(*) FILTER (WHERE p.eur_mwh IS NULL)::INTEGER AS unpriced
  FROM reading r LEFT JOIN price p ON p.hour_ms = r.start_ms - r.start_ms % 3600000
  WHERE strftime(timezone(${literal(timeZone)}, make_timestamp(r.start_ms * 1000)::TIMESTAMPTZ), '%Y-%m') = ${literal(month)}
  GROUP BY r.meter ORDER BY r.meter`);
const out = ['metering_point_id,month,total_kwh,energy_cost_eur,intervals,unpriced_intervals'];
for (const row of invoices.getRowObjectsJS()) {
  out.push([row.meter, month, row.total_kwh, row.cost ?? '0.00', row.intervals, row.unpriced].join(','));
}
process.stdout.write(`${out.join('\n')}\n`);
db.closeSync();
instance.closeSync();
