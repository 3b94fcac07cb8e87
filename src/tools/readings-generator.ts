/**
 * Deterministic meter-reading and price files for tests and benchmarks: a month (or some days) of
 * 15-minute readings per meter with timestamps in local time with offsets, rows shuffled per day, and
 * bad rows of known kinds injected at a given rate, counted so tests can check every rejection.
 */
import { ZonedClock } from '../domain/time/zoned-time';

export type InjectedError =
  'bad_timestamp' | 'negative_kwh' | 'not_a_number' | 'missing_field' | 'bad_meter_id' | 'duplicate';

export const INJECTED_ERRORS: readonly InjectedError[] = [
  'bad_timestamp',
  'negative_kwh',
  'not_a_number',
  'missing_field',
  'bad_meter_id',
  'duplicate',
];

export interface ReadingsSpec {
  month: string; // YYYY-MM
  days?: number;
  meters: number;
  intervalMinutes?: number;
  timeZone?: string;
  errorRate?: number;
  seed?: number;
  /** Metering point id of meter n (0-based). */
  meterId?: (n: number) => string;
  /**
   * Two channels: a `channel` column, and beside each import row an EXPORT row for the same interval
   * (solar by day, 0 at night), so the file has twice the rows.
   */
  withExport?: boolean;
}

export type ErrorCounts = Record<InjectedError, number>;

export interface GeneratedCounts extends ErrorCounts {
  rows: number;
  valid: number;
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function isoWithOffset(clock: ZonedClock, instant: number): string {
  const offset = clock.offsetMinutesAt(instant);
  const local = new Date(instant + offset * 60_000).toISOString().slice(0, 19);
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${offset >= 0 ? '+' : '-'}${hh}:${mm}`;
}

/** Local days of the spec as [start, end) instants. */
export function localDays(clock: ZonedClock, month: string, days?: number): Array<[number, number]> {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const inMonth = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  const count = Math.min(days ?? inMonth, inMonth);
  const result: Array<[number, number]> = [];
  for (let day = 1; day <= count; day++) {
    const start = clock.startOfLocalDay(year, monthNumber, day);
    const end =
      day === inMonth
        ? clock.startOfLocalDay(monthNumber === 12 ? year + 1 : year, monthNumber === 12 ? 1 : monthNumber + 1, 1)
        : clock.startOfLocalDay(year, monthNumber, day + 1);
    result.push([start, end]);
  }
  return result;
}

/** Yields CSV lines (without newline), header first; `counts` is complete once the generator is done. */
export function* generateReadings(spec: ReadingsSpec, counts: GeneratedCounts = emptyCounts()): Generator<string> {
  const clock = new ZonedClock(spec.timeZone ?? 'Europe/Sofia');
  const random = seededRandom(spec.seed ?? 7);
  const step = (spec.intervalMinutes ?? 15) * 60_000;
  const errorRate = spec.errorRate ?? 0;
  const meterId = spec.meterId ?? ((n: number) => `MP${String(n + 1).padStart(6, '0')}`);
  const suffix = spec.withExport === true ? ',IMPORT' : '';
  yield spec.withExport === true ? 'metering_point_id,timestamp,kwh,channel' : 'metering_point_id,timestamp,kwh';
  for (const [dayStart, dayEnd] of localDays(clock, spec.month, spec.days)) {
    const block: string[] = [];
    for (let meter = 0; meter < spec.meters; meter++) {
      const id = meterId(meter);
      const base = 0.05 + (meter % 17) * 0.03;
      for (let t = dayStart; t < dayEnd; t += step) {
        const hour = clock.toLocal(t).hour;
        const shape = hour >= 7 && hour <= 22 ? 1.6 : 0.7;
        const kwh = (base * shape * (step / 3_600_000) * (0.6 + random() * 0.8)).toFixed(4);
        const timestamp = isoWithOffset(clock, t);
        if (errorRate > 0 && random() < errorRate) {
          const kind = INJECTED_ERRORS[Math.floor(random() * INJECTED_ERRORS.length)]!;
          counts[kind] += 1;
          // A duplicate is two lines: each gets the channel.
          block.push(
            badRow(kind, id, timestamp, kwh, counts)
              .split('\n')
              .map((line) => `${line}${suffix}`)
              .join('\n'),
          );
        } else {
          counts.valid += 1;
          block.push(`${id},${timestamp},${kwh}${suffix}`);
        }
        if (spec.withExport === true) {
          const solar = hour >= 9 && hour <= 16 ? (base * 2 * (step / 3_600_000) * random()).toFixed(4) : '0.0000';
          counts.valid += 1;
          block.push(`${id},${timestamp},${solar},EXPORT`);
        }
      }
    }
    for (let i = block.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [block[i], block[j]] = [block[j]!, block[i]!];
    }
    counts.rows += block.length;
    yield* block;
  }
}

function badRow(kind: InjectedError, id: string, timestamp: string, kwh: string, counts: GeneratedCounts): string {
  switch (kind) {
    case 'bad_timestamp':
      return `${id},${timestamp.slice(0, 10)}/99,${kwh}`;
    case 'negative_kwh':
      return `${id},${timestamp},-${kwh}`;
    case 'not_a_number':
      return `${id},${timestamp},"${kwh.replace('.', ',')}x"`;
    case 'missing_field':
      return `${id},${timestamp}`;
    case 'bad_meter_id':
      return `,${timestamp},${kwh}`;
    case 'duplicate':
      // the good row plus a second one for the same interval: the second is rejected
      counts.valid += 1;
      counts.rows += 1;
      return `${id},${timestamp},${kwh}\n${id},${toUtc(timestamp)},${(Number(kwh) + 1).toFixed(4)}`;
    default: {
      const unknown: never = kind;
      throw new Error(`unknown error kind ${String(unknown)}`);
    }
  }
}

/** The same instant written with Z, so duplicates are caught however the time is written. */
function toUtc(timestamp: string): string {
  return new Date(timestamp).toISOString().replace('.000Z', 'Z');
}

export function emptyCounts(): GeneratedCounts {
  // eslint-disable-next-line local/no-plain-dictionary -- keys are INJECTED_ERRORS, the generator's own constants
  return { rows: 0, valid: 0, ...Object.fromEntries(INJECTED_ERRORS.map((k) => [k, 0])) } as GeneratedCounts;
}

/** Hourly (or 15-minute) day-ahead prices in EUR/MWh for the spec's days; negative on some sunny hours. */
export function* generatePrices(spec: {
  month: string;
  days?: number;
  intervalMinutes?: number;
  timeZone?: string;
  seed?: number;
}): Generator<string> {
  const clock = new ZonedClock(spec.timeZone ?? 'Europe/Sofia');
  const random = seededRandom(spec.seed ?? 11);
  const step = (spec.intervalMinutes ?? 60) * 60_000;
  yield 'timestamp,price_eur_mwh';
  for (const [dayStart, dayEnd] of localDays(clock, spec.month, spec.days)) {
    for (let t = dayStart; t < dayEnd; t += step) {
      const hour = clock.toLocal(t).hour;
      let price = 60 + 70 * Math.sin(((hour - 6) / 24) * Math.PI * 2) + random() * 25;
      if (hour >= 11 && hour <= 14 && random() < 0.15) price = -5 - random() * 20;
      yield `${isoWithOffset(clock, t)},${price.toFixed(2)}`;
    }
  }
}
