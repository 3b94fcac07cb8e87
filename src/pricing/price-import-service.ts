import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { localDay } from '../domain/billing/calendar';
import { PriceFileReader } from '../domain/billing/price-file';
import type { ZonedClock } from '../domain/time/zoned-time';
import type { EventStore } from '../ports/event-store';
import type { PricePublisher } from './price-publisher';

export interface PriceImportReceipt {
  days: number;
  points: number;
  unchangedDays: number;
  position: string;
}

export class PriceFileError extends Error {
  constructor(readonly errors: ReadonlyArray<{ line: number; message: string }>) {
    super(
      `the price file was not imported: ${errors
        .slice(0, 10)
        .map((e) => `line ${e.line}: ${e.message}`)
        .join('; ')}${errors.length > 10 ? `; and ${errors.length - 10} more` : ''}`,
    );
    this.name = 'PriceFileError';
  }
}

const MAX_PRICE_FILE_BYTES = 32 * 1024 * 1024;

/**
 * `importPrices`: a CSV `timestamp,price_eur_mwh` becomes one `MarketPricesPublished` per delivery day.
 * Prices bill money, so a file with any bad row is refused whole, with the lines that are wrong.
 */
export class PriceImportService {
  constructor(
    private readonly deps: {
      eventStore: EventStore;
      publisher: PricePublisher;
      clock: ZonedClock;
      market: string;
    },
  ) {}

  async importCsv(content: Readable, source: string): Promise<PriceImportReceipt> {
    const reader = new PriceFileReader(this.deps.clock);
    const parser = content.pipe(parse({ bom: true, relax_column_count: true, max_record_size: 4096 }));
    // pipe() does not pass the source's errors on: without this, a request cut short would leave the parser
    // waiting for ever.
    content.once('error', (error) => parser.destroy(error));
    let line = 0;
    let bytes = 0;
    content.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_PRICE_FILE_BYTES) content.destroy(new Error('price file larger than 32 MiB'));
    });
    try {
      for await (const fields of parser as AsyncIterable<string[]>) {
        line += 1;
        if (line === 1) {
          const names = fields.map((f) => f.trim().toLowerCase());
          if (names[0] !== 'timestamp' || names[1] !== 'price_eur_mwh') {
            throw new PriceFileError([
              { line: 1, message: `header must be timestamp,price_eur_mwh, found '${fields.join(',')}'` },
            ]);
          }
          continue;
        }
        if (fields.length === 1 && fields[0]!.trim() === '') continue;
        reader.add(line, fields);
      }
    } catch (error) {
      if (error instanceof PriceFileError) throw error;
      throw new PriceFileError([{ line: line + 1, message: error instanceof Error ? error.message : String(error) }]);
    }
    if (line === 0) throw new PriceFileError([{ line: 1, message: 'the file is empty' }]);
    if (reader.errors.length > 0) throw new PriceFileError(reader.errors);

    let days = 0;
    let points = 0;
    let unchangedDays = 0;
    let position: string | null = null;
    for (const day of reader.days((date) => localDay(this.deps.clock, date))) {
      const result = await this.deps.publisher.publish({ market: this.deps.market, source, ...day });
      if (result.appended) {
        days += 1;
        points += day.points.length;
        position = result.position;
      } else unchangedDays += 1;
    }
    return { days, points, unchangedDays, position: position ?? (await this.deps.eventStore.headPosition()) ?? '0' };
  }
}
