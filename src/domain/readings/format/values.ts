/**
 * Energy values as files write them, read into exact counts of micro-kWh: the unit's power of ten moves
 * the decimal point, the digits stay exact.
 */
import { decimalCommaHint } from '../hints';
import { shorten } from '../timestamp';
import type { RejectionReason } from '../vocabulary';
import type { EnergyUnit } from './request';

/** Powers of ten from the unit to kWh. */
const UNIT_EXPONENT: Record<EnergyUnit, number> = { kWh: 0, Wh: -3, MWh: 3, kvarh: 0, varh: -3, Mvarh: 3 };

const PLAIN = /^(\d+)(?:\.(\d+))?$/;
const NEGATIVE = /^-\d+(?:\.\d+)?$/;
const MAX_DECIMALS = 6;

/**
 * An energy value in a unit as an exact count of micro-kWh, rounded half up at the sixth decimal of
 * kWh when it has more. A decimal comma is read as a dot when the format says so.
 */
export function energyToMicro(
  text: string,
  unit: EnergyUnit,
  decimalComma: boolean,
  field: string,
  maxKwh: number,
): { ok: true; micro: number; rounded: boolean } | { ok: false; reason: RejectionReason } {
  if (text === '') return { ok: false, reason: { code: 'KWH_MISSING', field, message: `${field} is empty` } };
  const normal = decimalComma ? text.replace(',', '.') : text;
  const match = PLAIN.exec(normal);
  if (match === null) {
    if (NEGATIVE.test(normal))
      return { ok: false, reason: { code: 'KWH_NEGATIVE', field, message: `${field} ${shorten(text)} is negative` } };
    return {
      ok: false,
      reason: {
        code: 'KWH_INVALID',
        field,
        message: `${field} '${shorten(text)}' is not a plain decimal number with a ${decimalComma ? 'comma' : 'dot'}${decimalComma ? '' : decimalCommaHint(text)}`,
      },
    };
  }
  const { micro, rounded } = shiftedDecimalToMicro(match[1]!, match[2] ?? '', UNIT_EXPONENT[unit]);
  if (micro / 1_000_000 > maxKwh) {
    return {
      ok: false,
      reason: {
        code: 'KWH_TOO_LARGE',
        field,
        message: `${field} ${shorten(text)} ${unit} is above the limit of ${maxKwh} kWh per reading`,
      },
    };
  }
  return { ok: true, micro, rounded };
}

/**
 * A plain decimal (its whole and fraction digits) times 10^exponent, as an exact count of millionths,
 * rounded half up at the sixth decimal when it has more: the decimal point moves, the digits stay exact.
 */
export function shiftedDecimalToMicro(
  whole: string,
  fraction: string,
  exponent: number,
): { micro: number; rounded: boolean } {
  const digits = whole + fraction;
  // Exponents of the units (-3 to 3) keep the point inside or after the whole digits.
  const point = whole.length + exponent + MAX_DECIMALS;
  const kept = digits.slice(0, point).padEnd(point, '0');
  const dropped = digits.slice(point);
  const roundUp = dropped !== '' && dropped.charCodeAt(0) - 48 >= 5;
  return { micro: Number(kept) + (roundUp ? 1 : 0), rounded: dropped !== '' };
}

/**
 * A plain decimal as an exact count of millionths, rounded half up at the sixth decimal when it has more
 * (meter exports often carry float noise such as 1.4529999: it is 1.453000, not an error).
 */
export function roundedDecimalToMicro(text: string): { micro: number; rounded: boolean } {
  const dot = text.indexOf('.');
  return dot < 0
    ? shiftedDecimalToMicro(text, '', 0)
    : shiftedDecimalToMicro(text.slice(0, dot), text.slice(dot + 1), 0);
}
