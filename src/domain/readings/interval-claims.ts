/**
 * The validator's memory of which (meter, interval) each line claimed: typed arrays by meter-day, so a
 * million readings' duplicate index takes a few MB.
 */

import type { Channel } from './channels';

/**
 * One meter's (one of its channels') claimed intervals: per UTC day, the place of its slots in the validator's `DaySlots`
 * (the last day used kept at hand, as its chunk and first index).
 */
export class MeterClaims {
  readonly days = new Map<number, number>();
  /** The interval its file declares for it (a NEM12 channel's), if any. */
  declaredMinutes: number | null = null;
  lastDay = Number.NaN;
  lastChunk: Uint32Array | null = null;
  lastBase = 0;
  readings = 0;
  lastInstant = Number.NEGATIVE_INFINITY;
  coarsestMinutes = 60;

  constructor(
    readonly meter: string,
    readonly channel: Channel,
  ) {}
}

/** Meter-days per chunk of `DaySlots`: 256 days of 96 slots is 96 KB, small for a small file. */
const DAYS_PER_CHUNK = 256;

/**
 * The slots of many meter-days in a few large zeroed arrays, each meter-day a run of `slotsPerDay`
 * found by its place (a number). One small typed array per meter-day cost twice the memory: each
 * carries its own backing store and object (measured 46 against 27 MB for 43,400 meter-days).
 */
export class DaySlots {
  private readonly chunks: Array<Uint32Array<ArrayBuffer>> = [];
  private allocated = 0;

  constructor(private readonly slotsPerDay: number) {}

  /** A fresh meter-day's place; its slots are all 0 (unclaimed). */
  allocate(): number {
    const place = this.allocated++;
    if (place % DAYS_PER_CHUNK === 0) this.chunks.push(new Uint32Array(DAYS_PER_CHUNK * this.slotsPerDay));
    return place;
  }

  chunkOf(place: number): Uint32Array {
    return this.chunks[Math.floor(place / DAYS_PER_CHUNK)]!;
  }

  /** The index of the place's first slot in its chunk. */
  baseOf(place: number): number {
    return (place % DAYS_PER_CHUNK) * this.slotsPerDay;
  }

  /** Gives the chunks' memory back now (detached, they hold nothing); the slots start empty again. */
  release(): void {
    for (const chunk of this.chunks) chunk.buffer.transfer(0);
    this.chunks.length = 0;
    this.allocated = 0;
  }
}
