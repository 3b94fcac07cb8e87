/**
 * Pure time-zone arithmetic on top of the IANA data that ships with Node's Intl.
 * Offsets only ever change on quarter-hour boundaries, so they are cached per quarter hour.
 */

const QUARTER_HOUR_MS = 15 * 60_000;

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

export type LocalToInstant =
  { kind: 'ok'; instant: number } | { kind: 'nonexistent' } | { kind: 'ambiguous'; earlier: number; later: number };

export class ZonedClock {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsetCache = new Map<number, number>();

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  }

  /** Whether the runtime knows this IANA zone name. */
  static isValidTimeZone(name: string): boolean {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      return true;
    } catch {
      return false;
    }
  }

  /** UTC offset of the zone, in minutes, at a UTC instant (epoch ms). */
  offsetMinutesAt(instant: number): number {
    const key = Math.floor(instant / QUARTER_HOUR_MS);
    let offset = this.offsetCache.get(key);
    if (offset === undefined) {
      offset = this.computeOffset(key * QUARTER_HOUR_MS);
      this.offsetCache.set(key, offset);
    }
    return offset;
  }

  /** The local wall-clock reading of an instant. */
  toLocal(instant: number): LocalDateTime {
    const shifted = new Date(instant + this.offsetMinutesAt(instant) * 60_000);
    return {
      year: shifted.getUTCFullYear(),
      month: shifted.getUTCMonth() + 1,
      day: shifted.getUTCDate(),
      hour: shifted.getUTCHours(),
      minute: shifted.getUTCMinutes(),
      second: shifted.getUTCSeconds(),
      millisecond: shifted.getUTCMilliseconds(),
    };
  }

  /**
   * The instant a local wall-clock time names. During spring-forward the time does not exist;
   * during fall-back it names two instants: both are reported rather than silently picking one.
   */
  toInstant(local: LocalDateTime): LocalToInstant {
    const asIfUtc = Date.UTC(
      local.year,
      local.month - 1,
      local.day,
      local.hour,
      local.minute,
      local.second,
      local.millisecond,
    );
    // Any offset in force within a day either side is a candidate; keep those that round-trip.
    const candidateOffsets = new Set([
      this.offsetMinutesAt(asIfUtc - 86_400_000),
      this.offsetMinutesAt(asIfUtc),
      this.offsetMinutesAt(asIfUtc + 86_400_000),
    ]);
    const instants: number[] = [];
    for (const offset of candidateOffsets) {
      const instant = asIfUtc - offset * 60_000;
      if (this.offsetMinutesAt(instant) === offset) instants.push(instant);
    }
    instants.sort((a, b) => a - b);
    const [first, second] = instants;
    if (first === undefined) return { kind: 'nonexistent' };
    if (second === undefined || second === first) return { kind: 'ok', instant: first };
    return { kind: 'ambiguous', earlier: first, later: second };
  }

  /** Instant of local midnight starting the given calendar day (midnight always exists in practice). */
  startOfLocalDay(year: number, month: number, day: number): number {
    const result = this.toInstant({ year, month, day, hour: 0, minute: 0, second: 0, millisecond: 0 });
    if (result.kind === 'ok') return result.instant;
    if (result.kind === 'ambiguous') return result.earlier;
    // Zones that skip midnight itself (rare) start the day at the first existing quarter hour.
    for (let minute = 15; minute <= 120; minute += 15) {
      const next = this.toInstant({
        year,
        month,
        day,
        hour: Math.floor(minute / 60),
        minute: minute % 60,
        second: 0,
        millisecond: 0,
      });
      if (next.kind !== 'nonexistent') return next.kind === 'ok' ? next.instant : next.earlier;
    }
    throw new Error(`no start of day for ${year}-${month}-${day} in ${this.timeZone}`);
  }

  private computeOffset(instant: number): number {
    const parts = new Map(this.format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
    const asUtc = Date.UTC(
      Number(parts.get('year')),
      Number(parts.get('month')) - 1,
      Number(parts.get('day')),
      Number(parts.get('hour')),
      Number(parts.get('minute')),
      Number(parts.get('second')),
    );
    return Math.round((asUtc - instant) / 60_000);
  }
}
