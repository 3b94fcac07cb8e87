/**
 * Exact decimals for tariffs and invoice amounts: a decimal string ("0.20", "-12.5") read as an integer
 * count of millionths (BigInt), and integer cents written back with two places. Never a float.
 */

const DECIMAL = /^(-?)(\d{1,12})(?:\.(\d{1,6}))?$/;

/** Millionths of a decimal string with at most 6 places, or null when it is not one. */
export function parseMicro(text: string): bigint | null {
  const match = DECIMAL.exec(text.trim());
  if (match === null) return null;
  const micro = BigInt(match[2]!) * 1_000_000n + BigInt((match[3] ?? '').padEnd(6, '0'));
  return match[1] === '-' ? -micro : micro;
}

/** A decimal string written the same way whatever its input spelling ("1.50" and "1.5" give "1.5"). */
export function normalizeDecimal(micro: bigint): string {
  const negative = micro < 0n;
  const abs = negative ? -micro : micro;
  const fraction = String(abs % 1_000_000n)
    .padStart(6, '0')
    .replace(/(?<!0)0+$/, ''); // the run of zeros is found from its start only: linear
  return `${negative ? '-' : ''}${abs / 1_000_000n}${fraction === '' ? '' : `.${fraction}`}`;
}

/** numerator / denominator rounded half away from zero (denominator > 0). */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n;
  const abs = negative ? -numerator : numerator;
  let quotient = abs / denominator;
  if ((abs % denominator) * 2n >= denominator) quotient += 1n;
  return negative ? -quotient : quotient;
}

/** Cents written with two places: 1234n → "12.34", -5n → "-0.05". */
export function formatCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** A scaled integer written with `places` decimals (1234567n, 6 → "1.234567"). */
export function formatScaled(value: bigint, places: number): string {
  const scale = 10n ** BigInt(places);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const fraction = places === 0 ? '' : `.${String(abs % scale).padStart(places, '0')}`;
  return `${negative ? '-' : ''}${abs / scale}${fraction}`;
}
