/**
 * Accepted readings as columns: the payload of a `ReadingsAccepted` event. Version 2 of the event stores
 * it as binary (about 10 bytes a reading instead of 35 of JSON, and decoded without parsing text);
 * version 1 events (JSON tuples) are upcast to the same columns, so logs written before still replay.
 * Version 3 adds a channel column; a batch whose readings are all of the default channel (IMPORT) is
 * still written as version 2, so a one-channel file costs what it did, and versions 1 and 2 read as IMPORT.
 *
 * Binary layout, little-endian, every column aligned to its element size:
 *   0  'RDGS'             magic
 *   4  u16 version (2, or 3 with channels)
 *   6  u16 flags          bit 0: values are f64 (else u32); bit 1: meter indexes are u32 (else u16);
 *                         bit 2: starts are absolute f64 ms (else i32 seconds after the base);
 *                         bit 3: a u16 quality column follows the meter indexes (its dictionary in the header);
 *                         bit 4 (version 3): a u16 channel column follows (its dictionary in the header)
 *   8  u32 count
 *  12  u32 header bytes   length of the JSON header
 *  16  f64 base start     epoch ms
 *  24  JSON header        {"uploadId","batch","meters":[...],"qualities"?:[...],"channels"?:[{id,kind}]}
 *      starts, values, meter indexes[, quality indexes: 0 = none, else 1 + index into qualities]
 *      [, channel indexes into channels]
 *
 * Values are exact millionths of the channel kind's unit: micro-kWh, or micro-kvarh for reactive kinds.
 */
import { toMicro } from '../billing/money';
import { CHANNEL_KINDS, DEFAULT_CHANNEL, isDefaultChannel, type Channel } from './channels';

export interface ReadingsBatch extends ReadingsColumns {
  uploadId: string;
  batch: number;
}

export interface ReadingsColumns {
  /** Meter ids, each once, in order of first appearance. */
  meters: string[];
  /** Per reading: index into `meters`. */
  meter: Uint32Array;
  /** Per reading: interval start, epoch ms (UTC). */
  startMs: Float64Array;
  /** Per reading: energy in micro-kWh, an exact integer. */
  kwhMicro: Float64Array;
  /**
   * The export's own status or quality marks (an LP file's `Status`, a TOU file's `Quality`), each once;
   * absent when no reading of the batch has one.
   */
  qualities?: string[];
  /** Per reading: 0 for none, else 1 + index into `qualities`. */
  quality?: Uint16Array;
  /** The batch's channels, each once; absent when every reading is of the default channel (IMPORT). */
  channels?: Channel[];
  /** Per reading: index into `channels`. */
  channel?: Uint16Array;
}

/** The channel of reading `i` of a batch. */
export const channelAt = (batch: ReadingsColumns, i: number): Channel =>
  batch.channel === undefined ? DEFAULT_CHANNEL : batch.channels![batch.channel[i]!]!;

/** What a version 1 event held: [meter, interval start epoch ms, kWh] tuples. */
export interface ReadingsAcceptedV1Data {
  uploadId: string;
  batch: number;
  readings: Array<[meter: string, startMs: number, kwh: number]>;
}

const MAGIC = 0x53474452; // 'RDGS' read as a little-endian u32
const VERSION = 2;
const VERSION_WITH_CHANNELS = 3;
const VALUES_F64 = 1;
const METERS_U32 = 2;
const STARTS_F64 = 4;
const HAS_QUALITY = 8;
const HAS_CHANNEL = 16;
const FIXED_BYTES = 24;

const align = (offset: number, size: number): number => Math.ceil(offset / size) * size;

/** The meters dictionary of one batch is kept well under the event store's 1 MiB append limit. */
const MAX_METER_ID_BYTES_PER_BATCH = 256 * 1024;

/** Collects accepted readings into columns, up to a fixed number of readings (or meter ids) per batch. */
export class ReadingsBatchBuilder {
  private readonly meterIndex = new Map<string, number>();
  private meters: string[] = [];
  private meterIdBytes = 0;
  private meter: Uint32Array;
  private startMs: Float64Array;
  private kwhMicro: Float64Array;
  private quality: Uint16Array | null = null;
  private readonly qualityIndex = new Map<string, number>();
  private qualities: string[] = [];
  /** Index 0 is the default channel: readings before the first other channel need no rewrite. */
  private channels: Channel[] = [DEFAULT_CHANNEL];
  private readonly channelIndex = new Map<string, number>([[channelKey(DEFAULT_CHANNEL), 0]]);
  private channel: Uint16Array | null = null;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.meter = new Uint32Array(capacity);
    this.startMs = new Float64Array(capacity);
    this.kwhMicro = new Float64Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  get full(): boolean {
    return this.size >= this.capacity || this.meterIdBytes >= MAX_METER_ID_BYTES_PER_BATCH || this.qualitiesFull;
  }

  /**
   * `quality`: the reading's status or quality mark as the export writes it ('' for none); `channel`:
   * what the meter recorded it on (the default, IMPORT, when the file names none).
   */
  add(meter: string, startMs: number, kwhMicro: number, quality = '', channel: Channel = DEFAULT_CHANNEL): void {
    let index = this.meterIndex.get(meter);
    if (index === undefined) {
      index = this.meters.length;
      this.meters.push(meter);
      this.meterIndex.set(meter, index);
      this.meterIdBytes += meter.length + 3;
    }
    const at = this.size++;
    this.meter[at] = index;
    this.startMs[at] = startMs;
    this.kwhMicro[at] = kwhMicro;
    if (quality !== '') {
      let mark = this.qualityIndex.get(quality);
      if (mark === undefined) {
        this.qualities.push(quality);
        mark = this.qualities.length;
        this.qualityIndex.set(quality, mark);
      }
      this.quality ??= new Uint16Array(this.capacity);
      this.quality[at] = mark;
    } else if (this.quality !== null) this.quality[at] = 0;
    if (this.channel !== null || !isDefaultChannel(channel)) {
      const key = channelKey(channel);
      let index = this.channelIndex.get(key);
      if (index === undefined) {
        index = this.channels.length;
        this.channels.push({ id: channel.id, kind: channel.kind });
        this.channelIndex.set(key, index);
      }
      this.channel ??= new Uint16Array(this.capacity);
      this.channel[at] = index;
    }
  }

  /** Whether the batch cannot take another distinct quality mark (the column is u16). */
  private get qualitiesFull(): boolean {
    return this.qualities.length >= 0xfffe || this.channels.length >= 0xffff;
  }

  /** The readings so far; the builder starts empty again. */
  take(): ReadingsColumns {
    const taken: ReadingsColumns = {
      meters: this.meters,
      meter: this.meter.slice(0, this.size),
      startMs: this.startMs.slice(0, this.size),
      kwhMicro: this.kwhMicro.slice(0, this.size),
      ...(this.quality === null ? {} : { qualities: this.qualities, quality: this.quality.slice(0, this.size) }),
      ...(this.channel === null ? {} : { channels: this.channels, channel: this.channel.slice(0, this.size) }),
    };
    this.channel = null;
    this.channels = [DEFAULT_CHANNEL];
    this.channelIndex.clear();
    this.channelIndex.set(channelKey(DEFAULT_CHANNEL), 0);
    this.quality = null;
    this.qualities = [];
    this.qualityIndex.clear();
    this.meters = [];
    this.meterIndex.clear();
    this.meterIdBytes = 0;
    this.size = 0;
    return taken;
  }
}

/** Where each column of a payload starts, and where the payload ends: one layout for writing and reading. */
function layoutOf(shape: {
  count: number;
  headerBytes: number;
  startsAsSeconds: boolean;
  valuesF64: boolean;
  metersU32: boolean;
  withQuality: boolean;
  withChannels: boolean;
}) {
  const { count } = shape;
  const startsAt = align(FIXED_BYTES + shape.headerBytes, 8);
  const valuesAt = align(startsAt + count * (shape.startsAsSeconds ? 4 : 8), 8);
  const metersAt = align(valuesAt + count * (shape.valuesF64 ? 8 : 4), 4);
  const metersEnd = metersAt + count * (shape.metersU32 ? 4 : 2);
  const qualityAt = align(metersEnd, 2);
  const channelAt = shape.withQuality ? qualityAt + count * 2 : qualityAt;
  const end = shape.withChannels ? channelAt + count * 2 : shape.withQuality ? channelAt : metersEnd;
  return { startsAt, valuesAt, metersAt, qualityAt, channelAt, end };
}

export function encodeReadingsBatch(batch: ReadingsBatch): Uint8Array {
  const count = batch.startMs.length;
  let base = Number.POSITIVE_INFINITY;
  let maxValue = 0;
  for (let i = 0; i < count; i++) {
    if (batch.startMs[i]! < base) base = batch.startMs[i]!;
    const value = batch.kwhMicro[i]!;
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`reading ${i} has energy ${value} micro-kWh`);
    if (value > maxValue) maxValue = value;
  }
  if (count === 0) base = 0;
  let startsAsSeconds = true;
  for (let i = 0; i < count && startsAsSeconds; i++) {
    const seconds = (batch.startMs[i]! - base) / 1000;
    startsAsSeconds = Number.isInteger(seconds) && seconds <= 0x7fffffff;
  }
  const valuesF64 = maxValue > 0xffffffff;
  const metersU32 = batch.meters.length > 0xffff;
  const withQuality = batch.quality !== undefined && batch.qualities !== undefined;
  const withChannels = batch.channel !== undefined && batch.channels !== undefined;
  const header = new TextEncoder().encode(
    JSON.stringify({
      uploadId: batch.uploadId,
      batch: batch.batch,
      meters: batch.meters,
      ...(withQuality ? { qualities: batch.qualities } : {}),
      ...(withChannels ? { channels: batch.channels } : {}),
    }),
  );

  const {
    startsAt,
    valuesAt,
    metersAt,
    qualityAt,
    channelAt: channelAtByte,
    end: total,
  } = layoutOf({
    count,
    headerBytes: header.length,
    startsAsSeconds,
    valuesF64,
    metersU32,
    withQuality,
    withChannels,
  });

  const buffer = new ArrayBuffer(total);
  const view = new DataView(buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, withChannels ? VERSION_WITH_CHANNELS : VERSION, true);
  view.setUint16(
    6,
    (valuesF64 ? VALUES_F64 : 0) |
      (metersU32 ? METERS_U32 : 0) |
      (startsAsSeconds ? 0 : STARTS_F64) |
      (withQuality ? HAS_QUALITY : 0) |
      (withChannels ? HAS_CHANNEL : 0),
    true,
  );
  view.setUint32(8, count, true);
  view.setUint32(12, header.length, true);
  view.setFloat64(16, base, true);
  new Uint8Array(buffer, FIXED_BYTES, header.length).set(header);
  if (startsAsSeconds) {
    const starts = new Int32Array(buffer, startsAt, count);
    for (let i = 0; i < count; i++) starts[i] = (batch.startMs[i]! - base) / 1000;
  } else new Float64Array(buffer, startsAt, count).set(batch.startMs);
  (valuesF64 ? new Float64Array(buffer, valuesAt, count) : new Uint32Array(buffer, valuesAt, count)).set(
    batch.kwhMicro,
  );
  (metersU32 ? new Uint32Array(buffer, metersAt, count) : new Uint16Array(buffer, metersAt, count)).set(batch.meter);
  if (withQuality) new Uint16Array(buffer, qualityAt, count).set(batch.quality!);
  if (withChannels) new Uint16Array(buffer, channelAtByte, count).set(batch.channel!);
  return new Uint8Array(buffer);
}

export function isReadingsBatchBytes(data: unknown): data is Uint8Array {
  return data instanceof Uint8Array && data.byteLength >= FIXED_BYTES && readU32(data, 0) === MAGIC;
}

/** uploadId and batch number of a payload of either version. */
export function readingsHeaderOf(data: unknown): { uploadId: string; batch: number; count: number } {
  if (isReadingsBatchBytes(data)) {
    const { uploadId, batch } = parseHeader(data);
    return { uploadId, batch, count: readU32(data, 8) };
  }
  const v1 = v1Data(data);
  return { uploadId: v1.uploadId, batch: v1.batch, count: v1.readings.length };
}

/** The readings of a payload of either version, as columns. */
export function decodeReadingsBatch(data: unknown): ReadingsBatch {
  if (!isReadingsBatchBytes(data)) return upcastV1(v1Data(data));
  // Typed views need aligned offsets: copy (into a buffer of its own) when the payload is not aligned.
  const bytes = data.byteOffset % 8 === 0 ? data : new Uint8Array(data);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== VERSION && version !== VERSION_WITH_CHANNELS)
    throw new Error(`readings payload version ${version} is not known`);
  const flags = view.getUint16(6, true);
  const count = view.getUint32(8, true);
  const headerBytes = view.getUint32(12, true);
  const base = view.getFloat64(16, true);
  const header = parseHeader(bytes);
  const startsAsSeconds = (flags & STARTS_F64) === 0;
  const valuesF64 = (flags & VALUES_F64) !== 0;
  const metersU32 = (flags & METERS_U32) !== 0;
  const withQuality = (flags & HAS_QUALITY) !== 0;
  const withChannels = version === VERSION_WITH_CHANNELS && (flags & HAS_CHANNEL) !== 0;
  const {
    startsAt,
    valuesAt,
    metersAt,
    qualityAt,
    channelAt: channelAtByte,
    end,
  } = layoutOf({ count, headerBytes, startsAsSeconds, valuesF64, metersU32, withQuality, withChannels });
  if (end > bytes.byteLength) throw new Error('readings payload is truncated');
  const at = bytes.byteOffset;

  const startMs = new Float64Array(count);
  if (startsAsSeconds) {
    const seconds = new Int32Array(bytes.buffer, at + startsAt, count);
    for (let i = 0; i < count; i++) startMs[i] = base + seconds[i]! * 1000;
  } else startMs.set(new Float64Array(bytes.buffer, at + startsAt, count));
  const kwhMicro = new Float64Array(count);
  kwhMicro.set(
    valuesF64
      ? new Float64Array(bytes.buffer, at + valuesAt, count)
      : new Uint32Array(bytes.buffer, at + valuesAt, count),
  );
  const meter = new Uint32Array(count);
  meter.set(
    metersU32
      ? new Uint32Array(bytes.buffer, at + metersAt, count)
      : new Uint16Array(bytes.buffer, at + metersAt, count),
  );
  for (let i = 0; i < count; i++) {
    if (meter[i]! >= header.meters.length)
      throw new Error(`reading ${i} names meter ${meter[i]} of ${header.meters.length}`);
  }
  const columns: ReadingsBatch = {
    uploadId: header.uploadId,
    batch: header.batch,
    meters: header.meters,
    meter,
    startMs,
    kwhMicro,
  };
  if (withQuality) {
    const qualities = header.qualities ?? [];
    const quality = new Uint16Array(count);
    quality.set(new Uint16Array(bytes.buffer, at + qualityAt, count));
    for (let i = 0; i < count; i++) {
      if (quality[i]! > qualities.length)
        throw new Error(`reading ${i} names quality ${quality[i]} of ${qualities.length}`);
    }
    Object.assign(columns, { qualities, quality });
  }
  if (withChannels) {
    const channels = (header.channels ?? []).map(checkedChannel);
    const channel = new Uint16Array(count);
    channel.set(new Uint16Array(bytes.buffer, at + channelAtByte, count));
    for (let i = 0; i < count; i++) {
      if (channel[i]! >= channels.length)
        throw new Error(`reading ${i} names channel ${channel[i]} of ${channels.length}`);
    }
    Object.assign(columns, { channels, channel });
  }
  return columns;
}

function upcastV1(data: ReadingsAcceptedV1Data): ReadingsBatch {
  const builder = new ReadingsBatchBuilder(data.readings.length);
  for (const [meter, start, kwh] of data.readings) builder.add(meter, start, toMicro(kwh));
  return { uploadId: data.uploadId, batch: data.batch, ...builder.take() };
}

function v1Data(data: unknown): ReadingsAcceptedV1Data {
  const candidate = data as Partial<ReadingsAcceptedV1Data> | null;
  if (candidate === null || typeof candidate !== 'object' || !Array.isArray(candidate.readings)) {
    throw new Error('a ReadingsAccepted payload is neither version 2 (binary) nor version 1 (JSON readings)');
  }
  return candidate as ReadingsAcceptedV1Data;
}

interface BatchHeader {
  uploadId: string;
  batch: number;
  meters: string[];
  qualities?: string[];
  channels?: Channel[];
}

function parseHeader(bytes: Uint8Array): BatchHeader {
  const length = readU32(bytes, 12);
  const text = new TextDecoder().decode(bytes.subarray(FIXED_BYTES, FIXED_BYTES + length));
  return JSON.parse(text) as BatchHeader;
}

function checkedChannel(channel: Channel): Channel {
  if (typeof channel?.id !== 'string' || !(CHANNEL_KINDS as readonly string[]).includes(channel.kind))
    throw new Error(`readings payload names channel ${JSON.stringify(channel)}, not an id and a kind`);
  return channel;
}

const channelKey = (channel: Channel): string => `${channel.kind}\u0000${channel.id}`;

function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}
