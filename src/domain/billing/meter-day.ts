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

/** A meter-day's readings, keyed. */
export interface MeterDaySlots extends MeterDayKey, DaySlots {}

/** A meter-day as billed: its readings and its totals and cost. */
export interface MeterDayRow extends DailyUsageDoc, DaySlots {}

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
 * A meter-day's import as its registers (E1, E2...) sum it: slot by slot, present where any register is.
 * Registers at a coarser interval than the finest are put on the finest grid at their starts.
 */
export function sumRegisters(registers: readonly DaySlots[]): DaySlots {
  const finest = registers.reduce((a, b) => (b.intervalMinutes < a.intervalMinutes ? b : a));
  const sum: DaySlots = {
    dayStart: finest.dayStart,
    intervalMinutes: finest.intervalMinutes,
    values: new Float64Array(finest.values.length),
    present: new Uint8Array(finest.values.length),
  };
  const step = finest.intervalMinutes * 60_000;
  for (const register of registers) {
    for (let i = 0; i < register.values.length; i++) {
      if (register.present[i] !== 1) continue;
      const slot = Math.round((register.dayStart + i * register.intervalMinutes * 60_000 - sum.dayStart) / step);
      if (slot < 0 || slot >= sum.values.length) continue;
      sum.values[slot] = sum.values[slot]! + register.values[i]!;
      sum.present[slot] = 1;
    }
  }
  return sum;
}

/**
 * The readings of a meter-day once an upload's readings of that day take effect: every reading the
 * upload holds replaces the one before (the later validated file wins), the others stay. An upload at
 * another resolution replaces the whole day. Neither argument is changed; the upload's day itself is
 * the answer when it replaces the whole day.
 */
export function overlay(current: DaySlots | null, upload: DaySlots): DaySlots {
  if (
    current === null ||
    current.intervalMinutes !== upload.intervalMinutes ||
    current.values.length !== upload.values.length
  ) {
    return upload;
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
 * The price of each slot of a day's grid (`priceFor`), NaN where the slot is unpriced: computed once per
 * day and grid, and shared by every meter-day priced with it.
 */
export function slotPricesOf(
  prices: ReadonlyMap<number, PriceInterval>,
  dayStart: number,
  intervalMinutes: number,
  count: number,
): Float64Array {
  const durationMs = intervalMinutes * 60_000;
  const table = new Float64Array(count);
  for (let i = 0; i < count; i++) table[i] = priceFor(prices, dayStart + i * durationMs, durationMs) ?? Number.NaN;
  return table;
}

/**
 * Totals and exact cost of a meter-day's readings under the day's slot prices (`slotPricesOf`). Cost
 * terms (micro-kWh x micro-EUR/MWh = femto-euros) are summed in a float while that is exact, and folded
 * into a BigInt before it would not be: the same exact result as summing BigInts, at a fraction of the cost.
 */
export function totalsOf(
  key: MeterDayKey,
  slots: DaySlots,
  slotPrices: Float64Array,
  expectedIntervals: number,
): DailyUsageDoc {
  if (slotPrices.length !== slots.values.length) throw new Error('slot prices are for another grid');
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
    const price = slotPrices[i]!;
    if (Number.isNaN(price)) continue;
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

const SLOTS_U32 = 1;
const SLOTS_F64 = 2;
const U32_LIMIT = 2 ** 32;

/**
 * A meter-day's slots as stored: `[format u8][count u16][presence bits][values of present slots]`, the
 * values as u32 micro-kWh when all fit (the common case: 4 bytes a reading) else as f64. About 400 bytes
 * for a full 15-minute day instead of 864 as raw arrays: billing reads and writes every day it touches.
 */
export function encodeSlots(slots: Pick<DaySlots, 'values' | 'present'>): Uint8Array {
  const { values, present } = slots;
  const count = values.length;
  let presentCount = 0;
  let fitsU32 = true;
  for (let i = 0; i < count; i++) {
    if (present[i] !== 1) continue;
    presentCount += 1;
    const value = values[i]!;
    if (!(Number.isInteger(value) && value >= 0 && value < U32_LIMIT)) fitsU32 = false;
  }
  const maskBytes = Math.ceil(count / 8);
  const width = fitsU32 ? 4 : 8;
  const bytes = new Uint8Array(3 + maskBytes + presentCount * width);
  const view = new DataView(bytes.buffer);
  bytes[0] = fitsU32 ? SLOTS_U32 : SLOTS_F64;
  view.setUint16(1, count, true);
  let at = 3 + maskBytes;
  for (let i = 0; i < count; i++) {
    if (present[i] !== 1) continue;
    bytes[3 + (i >> 3)]! |= 1 << (i & 7);
    if (fitsU32) view.setUint32(at, values[i]!, true);
    else view.setFloat64(at, values[i]!, true);
    at += width;
  }
  return bytes;
}

/** The values and presence flags of stored slots (`encodeSlots`). */
export function decodeSlots(bytes: Uint8Array): Pick<DaySlots, 'values' | 'present'> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = bytes[0];
  if (format !== SLOTS_U32 && format !== SLOTS_F64)
    throw new Error(`stored meter-day slots have unknown format ${format}`);
  const count = view.getUint16(1, true);
  const values = new Float64Array(count);
  const present = new Uint8Array(count);
  const width = format === SLOTS_U32 ? 4 : 8;
  let at = 3 + Math.ceil(count / 8);
  for (let i = 0; i < count; i++) {
    if ((bytes[3 + (i >> 3)]! & (1 << (i & 7))) === 0) continue;
    present[i] = 1;
    values[i] = format === SLOTS_U32 ? view.getUint32(at, true) : view.getFloat64(at, true);
    at += width;
  }
  if (at !== bytes.byteLength) throw new Error('stored meter-day slots are cut short or too long');
  return { values, present };
}

/** Each present reading of a meter-day with its market price (null: unpriced), in interval order. */
export function intervalsWithPrices(
  slots: DaySlots,
  prices: ReadonlyMap<number, PriceInterval>,
): Array<{ start: number; kwhMicro: number; priceMicro: number | null }> {
  const durationMs = slots.intervalMinutes * 60_000;
  const result: Array<{ start: number; kwhMicro: number; priceMicro: number | null }> = [];
  for (let i = 0; i < slots.values.length; i++) {
    if (slots.present[i] !== 1) continue;
    const start = slots.dayStart + i * durationMs;
    result.push({ start, kwhMicro: slots.values[i]!, priceMicro: priceFor(prices, start, durationMs) });
  }
  return result;
}
