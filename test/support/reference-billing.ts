/**
 * An independent reference answer for monthly invoices, written the simple way (string splitting, BigInt
 * decimals, Intl for months), following the rules of the DuckDB peer in the brief: valid rows only, first
 * row per (meter, instant) wins within a file, a later file replaces earlier readings, a reading takes
 * the price of the hour containing its start, cost rounded half away from zero to cents at the end.
 */
export interface ReferenceInvoice {
  meter: string;
  totalKwhMicro: bigint;
  energyCost: string;
  intervals: number;
  unpricedIntervals: number;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

function micro(text: string): bigint {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  const value = BigInt(whole!) * 1_000_000n + BigInt(fraction.padEnd(6, '0').slice(0, 6));
  return negative ? -value : value;
}

/** Valid readings of one file, first row per (meter, instant) kept: key "meter|ms" -> micro-kWh. */
export function referenceReadings(csv: string): Map<string, bigint> {
  const kept = new Map<string, bigint>();
  const lines = csv.split(/\r?\n/).slice(1);
  for (const line of lines) {
    const fields = line.split(',');
    if (fields.length !== 3) continue;
    const [meter, timestamp, kwh] = fields as [string, string, string];
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(meter) || !ISO.test(timestamp) || !/^\d+(\.\d+)?$/.test(kwh)) continue;
    const ms = Date.parse(timestamp);
    if (Number.isNaN(ms) || ms % 900_000 !== 0) continue;
    const key = `${meter}|${ms}`;
    if (!kept.has(key)) kept.set(key, micro(kwh));
  }
  return kept;
}

export function referencePrices(csv: string): Map<number, bigint> {
  const prices = new Map<number, bigint>();
  for (const line of csv.split(/\r?\n/).slice(1)) {
    const [timestamp, price] = line.split(',');
    if (timestamp === undefined || price === undefined || !DECIMAL.test(price)) continue;
    prices.set(Date.parse(timestamp), micro(price));
  }
  return prices;
}

export function referenceInvoices(
  readings: Map<string, bigint>,
  prices: Map<number, bigint>,
  month: string,
  timeZone: string,
): Map<string, ReferenceInvoice> {
  const monthOf = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' });
  const totals = new Map<string, { kwh: bigint; cost: bigint; intervals: number; unpriced: number }>();
  for (const [key, kwh] of readings) {
    const [meter, msText] = key.split('|') as [string, string];
    const ms = Number(msText);
    if (monthOf.format(ms).slice(0, 7) !== month) continue;
    const total = totals.get(meter) ?? { kwh: 0n, cost: 0n, intervals: 0, unpriced: 0 };
    total.kwh += kwh;
    total.intervals += 1;
    const price = prices.get(ms - (ms % 3_600_000));
    if (price === undefined) total.unpriced += 1;
    else total.cost += kwh * price; // micro x micro = femto-euros (EUR = kWh x EUR/MWh / 1000)
    totals.set(meter, total);
  }
  const result = new Map<string, ReferenceInvoice>();
  for (const [meter, t] of totals) {
    result.set(meter, {
      meter,
      totalKwhMicro: t.kwh,
      energyCost: roundToCents(t.cost),
      intervals: t.intervals,
      unpricedIntervals: t.unpriced,
    });
  }
  return result;
}

function roundToCents(femto: bigint): string {
  const unit = 10n ** 13n;
  const negative = femto < 0n;
  const abs = negative ? -femto : femto;
  const cents = abs / unit + ((abs % unit) * 2n >= unit ? 1n : 0n);
  const text = `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
  return negative && cents > 0n ? `-${text}` : text;
}
