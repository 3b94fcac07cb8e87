import type { ZonedClock } from '../time/zoned-time';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

export interface LocalDay {
  date: string; // YYYY-MM-DD
  start: number; // epoch ms, inclusive
  end: number; // epoch ms, exclusive
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function parseLocalDate(text: string): { year: number; month: number; day: number } | null {
  const match = DATE.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  return { year, month, day };
}

export function parseMonth(text: string): { year: number; month: number } | null {
  const match = MONTH.exec(text);
  if (!match) return null;
  const [year, month] = [Number(match[1]), Number(match[2])];
  return month >= 1 && month <= 12 ? { year, month } : null;
}

/** The local calendar day an instant falls on. */
export function localDateOf(clock: ZonedClock, instant: number): string {
  const local = clock.toLocal(instant);
  return `${local.year}-${pad(local.month)}-${pad(local.day)}`;
}

export function monthOfDate(date: string): string {
  return date.slice(0, 7);
}

export function localDay(clock: ZonedClock, date: string): LocalDay {
  const parsed = parseLocalDate(date);
  if (parsed === null) throw new Error(`'${date}' is not a date YYYY-MM-DD`);
  const next = new Date(Date.UTC(parsed.year, parsed.month - 1, parsed.day + 1));
  return {
    date,
    start: clock.startOfLocalDay(parsed.year, parsed.month, parsed.day),
    end: clock.startOfLocalDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()),
  };
}

/** Every local day of a month, with its instants: 23-, 24- and 25-hour days included. */
export function daysOfMonth(clock: ZonedClock, month: string): LocalDay[] {
  const parsed = parseMonth(month);
  if (parsed === null) throw new Error(`'${month}' is not a month YYYY-MM`);
  const count = new Date(Date.UTC(parsed.year, parsed.month, 0)).getUTCDate();
  return Array.from({ length: count }, (_, i) => localDay(clock, `${month}-${pad(i + 1)}`));
}

/** Inclusive list of dates from `from` to `to`. */
/** The most days one query or export of daily rows may cover. */
export const MAX_RANGE_DAYS = 366;

/**
 * How many days `from`..`to` holds (both included; 0 when `to` is before `from` or a date is not one),
 * by arithmetic: a range is checked against its bound before any of its days is made (a 0000-9999 range
 * once built 2.96M dates first).
 */
export function daysInRange(from: string, to: string): number {
  const start = parseLocalDate(from);
  const end = parseLocalDate(to);
  if (start === null || end === null) return 0;
  return Math.max(
    0,
    daysFromCivil(end.year, end.month, end.day) - daysFromCivil(start.year, start.month, start.day) + 1,
  );
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date, any year (H. Hinnant's days_from_civil; Date.UTC
 * reads years 0-99 as 1900-1999). The fast row scanner turns timestamps into instants with it.
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

export function datesBetween(from: string, to: string): string[] {
  const start = parseLocalDate(from);
  const end = parseLocalDate(to);
  if (start === null || end === null) return [];
  const dates: string[] = [];
  for (
    let t = Date.UTC(start.year, start.month - 1, start.day);
    t <= Date.UTC(end.year, end.month - 1, end.day);
    t += 86_400_000
  ) {
    const d = new Date(t);
    dates.push(`${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`);
  }
  return dates;
}

/** Intervals a day holds at a resolution: 96 at 15 minutes, 92 and 100 on DST days. */
export function expectedIntervals(day: LocalDay, resolutionMinutes: number): number {
  return Math.round((day.end - day.start) / (resolutionMinutes * 60_000));
}

/** The month before (negative n) or after a month. */
export function addMonths(month: string, n: number): string {
  const parsed = parseMonth(month);
  if (parsed === null) throw new Error(`'${month}' is not a month YYYY-MM`);
  const d = new Date(Date.UTC(parsed.year, parsed.month - 1 + n, 1));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
}

/** The date n days after (negative: before) a date. */
export function addDays(date: string, n: number): string {
  const parsed = parseLocalDate(date);
  if (parsed === null) throw new Error(`'${date}' is not a date YYYY-MM-DD`);
  const d = new Date(Date.UTC(parsed.year, parsed.month - 1, parsed.day + n));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** What a daily price run covers: the next delivery day, then the last `recheckDays` days again. */
export function scrapeDates(today: string, recheckDays: number): string[] {
  return [addDays(today, 1), ...Array.from({ length: recheckDays }, (_, i) => addDays(today, -i))];
}
