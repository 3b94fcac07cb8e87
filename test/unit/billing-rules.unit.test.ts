import { daysOfMonth, expectedIntervals, localDay } from '../../src/domain/billing/calendar';
import type { DailyUsageDoc, PriceInterval } from '../../src/domain/billing/daily-usage';
import { priceFor } from '../../src/domain/billing/daily-usage';
import {
  decodeSlots,
  emptySlots,
  encodeSlots,
  markOf,
  overlay,
  putReading,
  slotPricesOf,
  sumRegisters,
  totalsOf,
} from '../../src/domain/billing/meter-day';
import { computeInvoice } from '../../src/domain/billing/invoice';
import { costFemto, formatEurPerKwh, formatEuros, toMicro } from '../../src/domain/billing/money';
import { ZonedClock } from '../../src/domain/time/zoned-time';

const clock = new ZonedClock('Europe/Sofia');
const HOUR = 3_600_000;
const QUARTER = 900_000;

describe('money', () => {
  it('multiplies exactly: 0.1234 kWh at 98.76 EUR/MWh is 0.012186984 EUR', () => {
    expect(costFemto(toMicro(0.1234), toMicro(98.76))).toBe(12_186_984_000_000n);
  });

  it('rounds half away from zero to cents, once', () => {
    expect(formatEuros(5n * 10n ** 12n)).toBe('0.01'); // 0.005 EUR
    expect(formatEuros(49n * 10n ** 11n)).toBe('0.00'); // 0.0049 EUR
    expect(formatEuros(-5n * 10n ** 12n)).toBe('-0.01');
    expect(formatEuros(-4n * 10n ** 12n)).toBe('0.00');
    expect(formatEuros(384n * 10n ** 13n)).toBe('3.84');
    expect(formatEuros(123_456n * 10n ** 13n)).toBe('1234.56');
  });

  it('does not drift where float sums would', () => {
    let cost = 0n;
    let float = 0;
    for (let i = 0; i < 10_000; i++) {
      cost += costFemto(toMicro(0.1), toMicro(0.7));
      float += (0.1 * 0.7) / 1000;
    }
    expect(formatEuros(cost)).toBe('0.70');
    expect(float).not.toBe(0.7); // the reason for integers
  });

  it('gives the average price per kWh', () => {
    expect(formatEurPerKwh(costFemto(toMicro(2), toMicro(100)), toMicro(2))).toBe('0.100000');
    expect(formatEurPerKwh(0n, 0)).toBeNull();
  });
});

describe('calendar', () => {
  it('counts 92, 96 and 100 quarter hours on DST and normal days', () => {
    expect(expectedIntervals(localDay(clock, '2026-03-29'), 15)).toBe(92);
    expect(expectedIntervals(localDay(clock, '2026-10-25'), 15)).toBe(100);
    expect(expectedIntervals(localDay(clock, '2026-10-26'), 15)).toBe(96);
    expect(daysOfMonth(clock, '2026-10').reduce((n, d) => n + expectedIntervals(d, 15), 0)).toBe(31 * 96 + 4);
  });
});

describe('priceFor', () => {
  const t0 = Date.parse('2026-10-01T00:00:00Z');
  const hourly = new Map<number, PriceInterval>([[t0, { start: t0, end: t0 + HOUR, priceMicro: 100_000_000 }]]);
  const quarters = new Map<number, PriceInterval>(
    [10, 20, 30, 40].map((p, i) => [
      t0 + i * QUARTER,
      { start: t0 + i * QUARTER, end: t0 + (i + 1) * QUARTER, priceMicro: p * 1e6 },
    ]),
  );

  it('prices a quarter-hour reading by the hour that contains it', () => {
    expect(priceFor(hourly, t0 + 2 * QUARTER, QUARTER)).toBe(100_000_000);
  });

  it('matches 15-minute prices one to one', () => {
    expect(priceFor(quarters, t0 + QUARTER, QUARTER)).toBe(20_000_000);
  });

  it('uses the time-weighted mean of 15-minute prices for an hourly reading', () => {
    expect(priceFor(quarters, t0, HOUR)).toBe(25_000_000);
  });

  it('prices a half-hour reading by the hour that contains it', () => {
    expect(priceFor(hourly, t0 + 2 * QUARTER, 2 * QUARTER)).toBe(100_000_000);
  });

  it('uses the time-weighted mean of its two quarter-hours for a half-hour reading', () => {
    expect(priceFor(quarters, t0, 2 * QUARTER)).toBe(15_000_000);
    expect(priceFor(quarters, t0 + 2 * QUARTER, 2 * QUARTER)).toBe(35_000_000);
  });

  it('leaves an interval in a price gap unpriced, never zero', () => {
    expect(priceFor(hourly, t0 + HOUR, QUARTER)).toBeNull();
    expect(priceFor(new Map([...quarters].slice(0, 3)), t0, HOUR)).toBeNull();
  });
});

describe('meter-day totals and computeInvoice', () => {
  const day = localDay(clock, '2026-10-25');
  const prices = new Map<number, PriceInterval>([
    [day.start, { start: day.start, end: day.start + HOUR, priceMicro: toMicro(-10.5) }],
  ]);
  const slots = emptySlots(day, 15);
  [0.5, 0.25, 1].forEach((kwh, i) => putReading(slots, day.start + i * QUARTER, toMicro(kwh)));
  const usage = totalsOf(
    { meter: 'MP1', date: day.date },
    slots,
    slotPricesOf(prices, day.start, 15, slots.values.length),
    100,
  );

  it('sums exactly past the float range: large terms are folded into the BigInt', () => {
    const big = emptySlots(day, 15);
    const hourly = new Map<number, PriceInterval>([
      [day.start, { start: day.start, end: day.start + HOUR, priceMicro: 3_000_000_000 }],
    ]);
    for (let i = 0; i < 4; i++) putReading(big, day.start + i * QUARTER, 9_999_999_999 - i);
    const totals = totalsOf(
      { meter: 'MP1', date: day.date },
      big,
      slotPricesOf(hourly, day.start, 15, big.values.length),
      100,
    );
    const exact = [0, 1, 2, 3].reduce((sum, i) => sum + costFemto(9_999_999_999 - i, 3_000_000_000), 0n);
    expect(totals.costFemto).toBe(exact.toString());
    expect(totals).toMatchObject({ intervals: 4, pricedIntervals: 4 });
  });

  it('sums, keeps min and max, and prices negative prices as credits', () => {
    expect(usage).toMatchObject({
      totalKwhMicro: 1_750_000,
      minKwhMicro: 250_000,
      maxKwhMicro: 1_000_000,
      intervals: 3,
      expectedIntervals: 100,
      pricedIntervals: 3,
    });
    expect(formatEuros(BigInt(usage.costFemto))).toBe('-0.02'); // 1.75 kWh x -10.5 EUR/MWh = -0.018375
  });

  it('marks a month with missing intervals, then missing prices', () => {
    const full = (date: string, priced: number): DailyUsageDoc => ({
      ...usage,
      date,
      intervals: 96,
      expectedIntervals: 96,
      pricedIntervals: priced,
    });
    expect(computeInvoice('MP1', '2026-11', [full('2026-11-01', 96)], 30 * 96).status).toBe('MISSING_READINGS');
    const month = Array.from({ length: 30 }, (_, i) => full(`2026-11-${String(i + 1).padStart(2, '0')}`, 96));
    expect(computeInvoice('MP1', '2026-11', month, 30 * 96).status).toBe('COMPLETE');
    month[3] = full('2026-11-04', 90);
    const invoice = computeInvoice('MP1', '2026-11', month, 30 * 96);
    expect(invoice).toMatchObject({ status: 'MISSING_PRICES', unpricedIntervals: 6, id: '2026-11:MP1' });
  });
});

describe('stored meter-day slots (encodeSlots / decodeSlots)', () => {
  const slotsWith = (count: number, readings: Array<[number, number]>) => {
    const values = new Float64Array(count);
    const present = new Uint8Array(count);
    for (const [slot, value] of readings) {
      values[slot] = value;
      present[slot] = 1;
    }
    return { values, present };
  };

  it('keeps whole micro-kWh below 2^32 as 4 bytes each, and reads them back equal', () => {
    const slots = slotsWith(96, [
      [0, 0],
      [1, 197_700],
      [95, 4_294_967_295],
    ]);
    const bytes = encodeSlots(slots);
    expect(bytes.byteLength).toBe(3 + 12 + 3 * 4);
    expect(decodeSlots(bytes)).toEqual(slots);
  });

  it('falls back to 8 bytes each when a value does not fit (large, or not whole)', () => {
    for (const odd of [4_294_967_296, 0.5, 12_345_678_901_234]) {
      const slots = slotsWith(100, [
        [3, 1],
        [99, odd],
      ]);
      const bytes = encodeSlots(slots);
      expect(bytes.byteLength).toBe(3 + 13 + 2 * 8);
      expect(decodeSlots(bytes)).toEqual(slots);
    }
  });

  it("keeps each slot's quality mark when a day has marks, and days without marks as they were", () => {
    const day = localDay(new ZonedClock('UTC'), '2026-10-01');
    const slots = emptySlots(day, 15);
    putReading(slots, day.start, 1_000, 'A');
    putReading(slots, day.start + 900_000, 2_000, 'E');
    putReading(slots, day.start + 1_800_000, 3_000);
    const decoded = decodeSlots(encodeSlots(slots));
    expect([0, 1, 2, 3].map((i) => markOf({ ...slots, ...decoded }, i))).toEqual(['A', 'E', '', '']);
    // A later file's reading brings its mark; where it has none, the earlier mark stays with the earlier reading.
    const later = emptySlots(day, 15);
    putReading(later, day.start + 900_000, 2_500, 'A');
    const merged = overlay({ ...slots, ...decoded }, later);
    expect([0, 1].map((i) => [merged.values[i], markOf(merged, i)])).toEqual([
      [1_000, 'A'],
      [2_500, 'A'],
    ]);
    // Registers summed: an estimate in either makes the sum an estimate.
    const other = emptySlots(day, 15);
    putReading(other, day.start, 500, 'E');
    const sum = sumRegisters([slots, other]);
    expect([sum.values[0], markOf(sum, 0)]).toEqual([1_500, 'E']);
    expect(totalsOf({ meter: 'M', date: day.date }, sum, new Float64Array(96).fill(Number.NaN), 96).qualityMarks).toBe(
      'E=2',
    );
  });

  it('keeps an empty day and a present zero apart', () => {
    const empty = slotsWith(92, []);
    expect(decodeSlots(encodeSlots(empty))).toEqual(empty);
    const zero = slotsWith(92, [[91, 0]]);
    expect(decodeSlots(encodeSlots(zero)).present[91]).toBe(1);
  });

  it('refuses bytes that are not stored slots', () => {
    expect(() => decodeSlots(new Uint8Array([9, 0, 0]))).toThrow('unknown format 9');
    const cut = encodeSlots(slotsWith(96, [[0, 1]])).subarray(0, 17);
    expect(() => decodeSlots(cut)).toThrow();
  });
});
