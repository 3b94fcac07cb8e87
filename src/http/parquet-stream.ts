/**
 * Streams rows as an Apache Parquet file with hyparquet-writer: rows are gathered into row groups of a
 * bounded size, each group is encoded and its bytes written out (waiting for the socket to drain)
 * before the next is gathered, so memory stays flat whatever the export's size. The file's footer
 * (schema, row-group offsets) goes out last.
 */
export type ParquetColumnType = 'STRING' | 'DOUBLE' | 'INT32' | 'BOOLEAN';

export interface ParquetColumn {
  name: string;
  type: ParquetColumnType;
  /** Whether the column may hold nulls (OPTIONAL); else REQUIRED. */
  nullable: boolean;
}

/** Rows per row group: a few hundred KB encoded, and large enough for readers to scan efficiently. */
const ROW_GROUP_ROWS = 10_000;

const PHYSICAL: Record<ParquetColumnType, { type: 'BYTE_ARRAY' | 'DOUBLE' | 'INT32' | 'BOOLEAN'; utf8: boolean }> = {
  STRING: { type: 'BYTE_ARRAY', utf8: true },
  DOUBLE: { type: 'DOUBLE', utf8: false },
  INT32: { type: 'INT32', utf8: false },
  BOOLEAN: { type: 'BOOLEAN', utf8: false },
};

export async function writeParquet(
  columns: readonly ParquetColumn[],
  rows: AsyncIterable<readonly unknown[]>,
  out: (bytes: Buffer) => Promise<void>,
  options: { createdBy: string; rowGroupRows?: number },
): Promise<void> {
  // hyparquet-writer is an ES module: loaded on first use (Node's require of ESM, or jest's transform).
  const { ByteWriter, ParquetWriter } = await import('hyparquet-writer');
  // The writer calls `flush` after each row group and waits for it: the group's bytes go out there.
  const writer: InstanceType<typeof ByteWriter> & { flush?: () => Promise<void> } = new ByteWriter(256 * 1024);
  const drain = async (): Promise<void> => {
    if (writer.index === 0) return;
    const bytes = Buffer.from(new Uint8Array(writer.buffer, 0, writer.index)); // a copy: the buffer is reused
    writer.index = 0; // `offset` keeps counting the file's bytes, as the footer's offsets need
    await out(bytes);
  };
  writer.flush = drain;
  const parquet = new ParquetWriter({
    writer,
    schema: [
      { name: 'root', num_children: columns.length },
      ...columns.map((column) => ({
        name: column.name,
        type: PHYSICAL[column.type].type,
        ...(PHYSICAL[column.type].utf8 ? { converted_type: 'UTF8' as const } : {}),
        repetition_type: column.nullable ? ('OPTIONAL' as const) : ('REQUIRED' as const),
      })),
    ],
    createdBy: options.createdBy,
  });
  const groupRows = options.rowGroupRows ?? ROW_GROUP_ROWS;
  let group: unknown[][] = columns.map(() => []);
  let groupSize = 0;
  const writeGroup = async (): Promise<void> => {
    if (groupSize === 0) return;
    await parquet.write({
      columnData: columns.map((column, i) => ({ name: column.name, data: group[i]! })),
      rowGroupSize: groupSize,
    });
    group = columns.map(() => []);
    groupSize = 0;
  };
  for await (const row of rows) {
    for (let i = 0; i < columns.length; i++) group[i]!.push(row[i] ?? null);
    groupSize += 1;
    if (groupSize >= groupRows) await writeGroup();
  }
  await writeGroup();
  await parquet.finish();
  await drain();
}
