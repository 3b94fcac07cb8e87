/**
 * Exact billing arithmetic. Energy is held in micro-kWh and prices in micro-EUR/MWh as integers (the
 * inputs carry at most 6 decimals); a cost term kWh x EUR/MWh / 1000 is then an integer count of
 * femto-euros (1e-15 EUR) held as a BigInt, summed exactly and rounded once, on the total.
 */

export const MICRO = 1_000_000;
const FEMTO_PER_CENT = 10n ** 13n;

/** A decimal with at most 6 places (as read from a file or JSON) in millionths. */
export function toMicro(value: number): number {
  const micro = Math.round(value * MICRO);
  if (!Number.isSafeInteger(micro)) throw new RangeError(`${value} is out of range`);
  return micro;
}

export function fromMicro(micro: number): number {
  return micro / MICRO;
}

/**
 * Cost of energy at a price, in femto-euros. EUR = kWh x (EUR/MWh) / 1000, so
 * (kWh x 1e6) x (EUR/MWh x 1e6) = EUR x 1e15: the product of the two integers is already femto-euros.
 */
export function costFemto(kwhMicro: number, priceMicro: number): bigint {
  return BigInt(kwhMicro) * BigInt(priceMicro);
}

/** Rounds femto-euros to cents, half away from zero, and writes them with two decimals ("3.84", "-0.07"). */
export function formatEuros(femto: bigint): string {
  const negative = femto < 0n;
  const abs = negative ? -femto : femto;
  let cents = abs / FEMTO_PER_CENT;
  if ((abs % FEMTO_PER_CENT) * 2n >= FEMTO_PER_CENT) cents += 1n;
  const text = `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
  return negative && cents !== 0n ? `-${text}` : text;
}

/** femto-euros per micro-kWh, as EUR per kWh with 6 decimals (half away from zero); null without energy. */
export function formatEurPerKwh(femto: bigint, kwhMicro: number): string | null {
  if (kwhMicro === 0) return null;
  // femto / kwhMicro = 1e-15 EUR / 1e-6 kWh = 1e-9 EUR/kWh; 6 decimals is 1e-6, a factor of 1000.
  const divisor = BigInt(kwhMicro) * 1000n;
  const negative = femto < 0n;
  const abs = negative ? -femto : femto;
  let units = abs / divisor;
  if ((abs % divisor) * 2n >= divisor) units += 1n;
  const text = `${units / 1_000_000n}.${String(units % 1_000_000n).padStart(6, '0')}`;
  return negative && units !== 0n ? `-${text}` : text;
}
