/**
 * Numbers as the browser's locale writes them, never rounded differently from the API: a decimal string
 * ("1234.50") keeps every digit it has; only the grouping and the decimal mark follow the locale.
 */

const separators = new Map<string, string>();

function decimalMark(locale: string | undefined): string {
  const key = locale ?? '';
  let mark = separators.get(key);
  if (mark === undefined) {
    mark = new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '.';
    separators.set(key, mark);
  }
  return mark;
}

/** "-1234.50" → "-1,234.50" (en), "-1.234,50" (de): the digits of the string, the locale's marks. */
export function formatDecimal(text: string, locale?: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (match === null) return text;
  const [, sign, whole, fraction] = match;
  const grouped = new Intl.NumberFormat(locale, { useGrouping: true }).format(BigInt(whole!));
  return `${sign === '-' ? '-' : ''}${grouped}${fraction === undefined ? '' : `${decimalMark(locale)}${fraction}`}`;
}

/** A JSON number (kWh, EUR/MWh) with the digits the API sent: its shortest round-trip text, localised. */
export function formatNumber(value: number, locale?: string): string {
  if (!Number.isFinite(value)) return String(value);
  const text = String(value);
  return /e/i.test(text) ? text : formatDecimal(text, locale);
}

/** Sums decimal strings with two places exactly (in cents), for a totals row. */
export function sumAmounts(amounts: readonly string[]): string {
  let cents = 0n;
  for (const amount of amounts) {
    const match = /^(-?)(\d+)\.(\d{2})$/.exec(amount);
    if (match === null) throw new Error(`not an amount with two places: ${amount}`);
    const value = BigInt(match[2]!) * 100n + BigInt(match[3]!);
    cents += match[1] === '-' ? -value : value;
  }
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** Sums kWh figures without float drift: at most 6 decimals, as the API gives them. */
export function sumKwh(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + Math.round(v * 1_000_000), 0) / 1_000_000;
}

/** An ISO instant as the locale writes a date and time, in the browser's zone. */
export function formatInstant(iso: string | null, locale?: string): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(locale);
}
