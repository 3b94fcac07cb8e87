import { DEFAULT_CHANNEL } from '../../src/domain/readings/channels';
import {
  channelAt,
  decodeReadingsBatch,
  encodeReadingsBatch,
  ReadingsBatchBuilder,
} from '../../src/domain/readings/readings-batch';

describe('readings batch (ReadingsAccepted v2 payload)', () => {
  const t0 = Date.parse('2026-10-01T00:00:00Z');

  it('round-trips meters, starts and values, with no quality column when no reading has a mark', () => {
    const builder = new ReadingsBatchBuilder(10);
    builder.add('A', t0, 1_500_000);
    builder.add('B', t0 + 900_000, 0);
    builder.add('A', t0 + 900_000, 4_294_967_296); // above u32: values stored as f64
    const columns = builder.take();
    expect(columns.quality).toBeUndefined();
    const decoded = decodeReadingsBatch(encodeReadingsBatch({ uploadId: 'u', batch: 3, ...columns }));
    expect(decoded).toEqual({ uploadId: 'u', batch: 3, ...columns });
  });

  it("keeps each reading's status or quality mark, dictionary-coded, and only in the batches that have one", () => {
    const builder = new ReadingsBatchBuilder(10);
    builder.add('A', t0, 1, 'A');
    builder.add('A', t0 + 1_800_000, 2);
    builder.add('B', t0, 3, 'E');
    builder.add('B', t0 + 1_800_000, 4, 'A');
    const columns = builder.take();
    expect(columns.qualities).toEqual(['A', 'E']);
    expect([...columns.quality!]).toEqual([1, 0, 2, 1]);
    const bytes = encodeReadingsBatch({ uploadId: 'u', batch: 0, ...columns });
    const decoded = decodeReadingsBatch(bytes);
    expect(decoded.qualities).toEqual(['A', 'E']);
    expect([...decoded.quality!]).toEqual([1, 0, 2, 1]);
    expect([...decoded.kwhMicro]).toEqual([1, 2, 3, 4]);
    // The builder starts empty again: the next batch has no marks unless its readings do.
    builder.add('C', t0, 5);
    expect(builder.take().quality).toBeUndefined();
  });

  it('refuses a payload whose quality index points outside its dictionary', () => {
    const builder = new ReadingsBatchBuilder(2);
    builder.add('A', t0, 1, 'A');
    const bytes = encodeReadingsBatch({ uploadId: 'u', batch: 0, ...builder.take() });
    bytes[bytes.length - 2] = 7; // the last reading's u16 quality index
    expect(() => decodeReadingsBatch(bytes)).toThrow('names quality 7 of 1');
  });

  it('writes a batch of the default channel as version 2, with no channel column', () => {
    const builder = new ReadingsBatchBuilder(4);
    builder.add('A', t0, 1);
    builder.add('A', t0 + 900_000, 2, '', DEFAULT_CHANNEL);
    const columns = builder.take();
    expect(columns.channel).toBeUndefined();
    const bytes = encodeReadingsBatch({ uploadId: 'u', batch: 0, ...columns });
    expect(new DataView(bytes.buffer).getUint16(4, true)).toBe(2);
    expect(new DataView(bytes.buffer).getUint16(6, true) & 16).toBe(0);
    const decoded = decodeReadingsBatch(bytes);
    expect(channelAt(decoded, 0)).toEqual({ id: 'IMPORT', kind: 'IMPORT' });
  });

  it("keeps each reading's channel, dictionary-coded, as version 3; readings before the first other channel are IMPORT", () => {
    const builder = new ReadingsBatchBuilder(8);
    builder.add('A', t0, 1);
    builder.add('A', t0, 2, 'A', { id: 'B1', kind: 'EXPORT' });
    builder.add('A', t0, 3, '', { id: 'Q1', kind: 'REACTIVE_IMPORT' });
    builder.add('B', t0, 4, '', { id: 'B1', kind: 'EXPORT' });
    const columns = builder.take();
    expect(columns.channels).toEqual([
      { id: 'IMPORT', kind: 'IMPORT' },
      { id: 'B1', kind: 'EXPORT' },
      { id: 'Q1', kind: 'REACTIVE_IMPORT' },
    ]);
    const bytes = encodeReadingsBatch({ uploadId: 'u', batch: 1, ...columns });
    expect(new DataView(bytes.buffer).getUint16(4, true)).toBe(3);
    const decoded = decodeReadingsBatch(bytes);
    expect(decoded).toEqual({ uploadId: 'u', batch: 1, ...columns });
    expect([0, 1, 2, 3].map((i) => channelAt(decoded, i).id)).toEqual(['IMPORT', 'B1', 'Q1', 'B1']);
    // The builder starts empty again: the next batch has no channel column unless its readings need one.
    builder.add('C', t0, 5);
    expect(builder.take().channel).toBeUndefined();
  });

  it('refuses a payload whose channel index points outside its dictionary', () => {
    const builder = new ReadingsBatchBuilder(2);
    builder.add('A', t0, 1, '', { id: 'B1', kind: 'EXPORT' });
    const bytes = encodeReadingsBatch({ uploadId: 'u', batch: 0, ...builder.take() });
    bytes[bytes.length - 2] = 9; // the last reading's u16 channel index
    expect(() => decodeReadingsBatch(bytes)).toThrow('names channel 9 of 2');
  });

  it('reads a version 1 (JSON) payload as IMPORT readings', () => {
    const decoded = decodeReadingsBatch({ uploadId: 'u', batch: 0, readings: [['A', t0, 0.25]] });
    expect(decoded.channel).toBeUndefined();
    expect(channelAt(decoded, 0)).toEqual({ id: 'IMPORT', kind: 'IMPORT' });
    expect([...decoded.kwhMicro]).toEqual([250_000]);
  });
});
