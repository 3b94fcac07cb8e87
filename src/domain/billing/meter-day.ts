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
  /**
   * Each slot's quality mark (`A`, `E`...): 0 for none, else 1 + its index in `markNames`. Absent when no
   * reading of the day has a mark.
   */
  marks?: Uint8Array;
  markNames?: string[];
}

/** Marks that say a reading is not an actual one: estimated, substituted, final substitute (NEM12's letters). */
export const ESTIMATED_MARKS: readonly string[] = ['E', 'S', 'F'];

/** Sets a slot's quality mark ('' clears it). */
export function markSlot(slots: DaySlots, slot: number, mark: string): void {
  if (mark === '' && slots.marks === undefined) return;
  slots.markNames ??= [];
  slots.marks ??= new Uint8Array(slots.values.length);
  if (mark === '') {
    slots.marks[slot] = 0;
    return;
  }
  let index = slots.markNames.indexOf(mark);
  if (index < 0) {
    if (slots.markNames.length >= 255) return; // a day of more distinct marks than slots keeps the first 255
    slots.markNames.push(mark);
    index = slots.markNames.length - 1;
  }
  slots.marks[slot] = index + 1;
}

/** A slot's quality mark ('' for none). */
export const markOf = (slots: DaySlots, slot: number): string =>
  slots.marks === undefined || slots.marks[slot] === 0 ? '' : slots.markNames![slots.marks[slot]! - 1]!;

/** Counts of marks as daily rows keep them: `A=40;E=8`, by mark ('' when no reading has one). */
export function encodeMarkCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([mark, n]) => `${encodeURIComponent(mark)}=${n}`)
    .join(';');
}

export function decodeMarkCounts(text: string | undefined): Array<{ mark: string; readings: number }> {
  if (text === undefined || text === '') return [];
  return text.split(';').map((pair) => {
    const at = pair.lastIndexOf('=');
    return { mark: decodeURIComponent(pair.slice(0, at)), readings: Number(pair.slice(at + 1)) };
  });
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
export function putReading(slots: DaySlots, startMs: number, kwhMicro: number, mark = ''): boolean {
  const slot = (startMs - slots.dayStart) / (slots.intervalMinutes * 60_000);
  if (!Number.isInteger(slot) || slot < 0 || slot >= slots.values.length) return false;
  slots.values[slot] = kwhMicro;
  slots.present[slot] = 1;
  markSlot(slots, slot, mark);
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
      // The sum is as good as its least actual register: an estimate in either makes it an estimate.
      const mark = markOf(register, i);
      const before = markOf(sum, slot);
      if (before === '' || (ESTIMATED_MARKS.includes(mark) && !ESTIMATED_MARKS.includes(before)))
        markSlot(sum, slot, mark);
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
  const result: DaySlots = { dayStart: current.dayStart, intervalMinutes: current.intervalMinutes, values, present };
  for (let i = 0; i < values.length; i++) {
    if (upload.present[i] === 1) {
      values[i] = upload.values[i]!;
      present[i] = 1;
    }
    const mark = upload.present[i] === 1 ? markOf(upload, i) : markOf(current, i);
    if (mark !== '') markSlot(result, i, mark);
  }
  return result;
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
  const marks = new Map<string, number>();
  for (let i = 0; i < slots.values.length; i++) {
    if (slots.present[i] !== 1) continue;
    const kwh = slots.values[i]!;
    intervals += 1;
    const mark = markOf(slots, i);
    if (mark !== '') marks.set(mark, (marks.get(mark) ?? 0) + 1);
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
    qualityMarks: encodeMarkCounts(marks),
  };
}

const SLOTS_U32 = 1;
const SLOTS_F64 = 2;
/** Added to the format byte when a trailer of quality marks follows the values. */
const WITH_MARKS = 2;
const U32_LIMIT = 2 ** 32;
const TEXT = new TextEncoder();

/**
 * A meter-day's slots as stored: `[format u8][count u16][presence bits][values of present slots]`, the
 * values as u32 micro-kWh when all fit (the common case: 4 bytes a reading) else as f64. About 400 bytes
 * for a full 15-minute day instead of 864 as raw arrays: billing reads and writes every day it touches.
 * A day with quality marks adds `[names u8][each: length u8, UTF-8][a mark index u8 per slot]` (format + 2).
 */
export function encodeSlots(slots: Pick<DaySlots, 'values' | 'present' | 'marks' | 'markNames'>): Uint8Array {
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
  const names =
    slots.marks === undefined ? null : (slots.markNames ?? []).map((name) => TEXT.encode(name).slice(0, 255));
  const maskBytes = Math.ceil(count / 8);
  const width = fitsU32 ? 4 : 8;
  const valuesEnd = 3 + maskBytes + presentCount * width;
  const marksBytes = names === null ? 0 : 1 + names.reduce((sum, name) => sum + 1 + name.length, 0) + count;
  const bytes = new Uint8Array(valuesEnd + marksBytes);
  const view = new DataView(bytes.buffer);
  bytes[0] = (fitsU32 ? SLOTS_U32 : SLOTS_F64) + (names === null ? 0 : WITH_MARKS);
  view.setUint16(1, count, true);
  let at = 3 + maskBytes;
  for (let i = 0; i < count; i++) {
    if (present[i] !== 1) continue;
    bytes[3 + (i >> 3)]! |= 1 << (i & 7);
    if (fitsU32) view.setUint32(at, values[i]!, true);
    else view.setFloat64(at, values[i]!, true);
    at += width;
  }
  if (names !== null) {
    bytes[at++] = names.length;
    for (const name of names) {
      bytes[at++] = name.length;
      bytes.set(name, at);
      at += name.length;
    }
    bytes.set(slots.marks!, at);
  }
  return bytes;
}

/** The values, presence flags and marks of stored slots (`encodeSlots`). */
export function decodeSlots(bytes: Uint8Array): Pick<DaySlots, 'values' | 'present' | 'marks' | 'markNames'> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const withMarks = bytes[0]! > WITH_MARKS;
  const format = withMarks ? bytes[0]! - WITH_MARKS : bytes[0];
  if (format !== SLOTS_U32 && format !== SLOTS_F64)
    throw new Error(`stored meter-day slots have unknown format ${bytes[0]}`);
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
  if (!withMarks) {
    if (at !== bytes.byteLength) throw new Error('stored meter-day slots are cut short or too long');
    return { values, present };
  }
  const markNames: string[] = [];
  const names = bytes[at++]!;
  for (let n = 0; n < names; n++) {
    const length = bytes[at++]!;
    markNames.push(new TextDecoder().decode(bytes.subarray(at, at + length)));
    at += length;
  }
  const marks = bytes.slice(at, at + count);
  if (at + count !== bytes.byteLength || marks.some((mark) => mark > markNames.length))
    throw new Error('stored meter-day slots are cut short or too long');
  return { values, present, marks, markNames };
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
