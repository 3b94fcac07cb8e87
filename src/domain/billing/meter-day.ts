/**
 * One meter's readings of one local day, as billing keeps them: one value slot per interval of the day
 * at the meter's resolution (96 at 15 minutes, 92 or 100 on DST days) with a presence flag, and the day's
 * totals and exact cost. An invoice is the sum of its days.
 */
import type { LocalDay } from './calendar';
import type { DailyUsageDoc, PriceInterval } from './daily-usage';
import { priceFor } from './daily-usage';
import { costFemto } from './money';

export interface MeterDayKey {
  meter: string;
  date: string;
}

/** Readings of one meter-day: `values[i]` (micro-kWh) is the reading of the interval starting at dayStart + i x interval. */
export interface DaySlots {
  dayStart: number;
  intervalMinutes: number;
  values: Float64Array;
  present: Uint8Array;
}

/** An upload's readings of one meter-day, held until the upload is validated. */
export interface StagedDay extends MeterDayKey, DaySlots {
  uploadId: string;
}

/** A meter-day as billed: its readings, totals and cost, and the log position of the last upload applied. */
export interface MeterDayRow extends DailyUsageDoc, DaySlots {
  appliedPosition: string | null;
}

export const meterDayKey = (meter: string, date: string): string => `${meter}\u0000${date}`;

export function emptySlots(day: LocalDay, intervalMinutes: number): DaySlots {
  const count = Math.max(1, Math.ceil((day.end - day.start) / (intervalMinutes * 60_000)));
  return { dayStart: day.start, intervalMinutes, values: new Float64Array(count), present: new Uint8Array(count) };
}

/**
 * Puts a reading in its slot. False when the start is not on the slots' grid (readings of another
 * resolution): the caller keeps such a day apart.
 */
export function putReading(slots: DaySlots, startMs: number, kwhMicro: number): boolean {
  const slot = (startMs - slots.dayStart) / (slots.intervalMinutes * 60_000);
  if (!Number.isInteger(slot) || slot < 0 || slot >= slots.values.length) return false;
  slots.values[slot] = kwhMicro;
  slots.present[slot] = 1;
  return true;
}

/**
 * The readings of a meter-day once an upload's readings of that day take effect: every reading the
 * upload holds replaces the one before (the later validated file wins), the others stay. An upload at
 * another resolution replaces the whole day.
 */
export function overlay(current: DaySlots | null, upload: DaySlots): DaySlots {
  if (
    current === null ||
    current.intervalMinutes !== upload.intervalMinutes ||
    current.values.length !== upload.values.length
  ) {
    return { ...upload, values: upload.values.slice(), present: upload.present.slice() };
  }
  const values = current.values.slice();
  const present = current.present.slice();
  for (let i = 0; i < values.length; i++) {
    if (upload.present[i] === 1) {
      values[i] = upload.values[i]!;
      present[i] = 1;
    }
  }
  return { dayStart: current.dayStart, intervalMinutes: current.intervalMinutes, values, present };
}

const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Totals and exact cost of a meter-day's readings under the day's prices. Cost terms (micro-kWh x
 * micro-EUR/MWh = femto-euros) are summed in a float while that is exact, and folded into a BigInt
 * before it would not be: the same exact result as summing BigInts, at a fraction of the cost.
 */
export function totalsOf(
  key: MeterDayKey,
  slots: DaySlots,
  prices: ReadonlyMap<number, PriceInterval>,
  expectedIntervals: number,
): DailyUsageDoc {
  const durationMs = slots.intervalMinutes * 60_000;
  let total = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let intervals = 0;
  let priced = 0;
  let pricedKwh = 0;
  let partial = 0;
  let cost = 0n;
  for (let i = 0; i < slots.values.length; i++) {
    if (slots.present[i] !== 1) continue;
    const kwh = slots.values[i]!;
    intervals += 1;
    total += kwh;
    if (kwh < min) min = kwh;
    if (kwh > max) max = kwh;
    const price = priceFor(prices, slots.dayStart + i * durationMs, durationMs);
    if (price === null) continue;
    priced += 1;
    pricedKwh += kwh;
    const term = kwh * price;
    if (term > -SAFE && term < SAFE && partial + term > -SAFE && partial + term < SAFE) partial += term;
    else {
      cost += BigInt(partial) + costFemto(kwh, price);
      partial = 0;
    }
  }
  cost += BigInt(partial);
  return {
    meter: key.meter,
    date: key.date,
    totalKwhMicro: total,
    minKwhMicro: intervals === 0 ? 0 : min,
    maxKwhMicro: intervals === 0 ? 0 : max,
    intervals,
    expectedIntervals,
    pricedIntervals: priced,
    pricedKwhMicro: pricedKwh,
    costFemto: cost.toString(),
  };
}
