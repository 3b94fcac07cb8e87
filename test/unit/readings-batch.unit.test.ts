import {
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
});
