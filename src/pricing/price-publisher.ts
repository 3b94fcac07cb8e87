import { nameBasedUuid } from '../common/name-based-uuid';
import type { MarketPricesPublished, PricePoint } from '../domain/billing/prices-events';
import { priceStreamName, samePrices } from '../domain/billing/prices-events';
import type { EventStore, ExpectedRevision } from '../ports/event-store';

export interface PublishDay {
  market: string;
  deliveryDate: string;
  resolutionMinutes: number;
  points: PricePoint[];
  complete: boolean;
  source: string;
}

export interface PublishResult {
  appended: boolean;
  position: string | null;
}

/**
 * Appends a delivery day's prices to its stream (`prices-<market>-<date>`) unless the last publication
 * of that day says the same: re-imports and re-scrapes of unchanged days append nothing, and a changed
 * day appends a correction that the projections apply.
 */
export class PricePublisher {
  constructor(
    private readonly eventStore: EventStore,
    private readonly now: () => Date,
  ) {}

  async publish(day: PublishDay): Promise<PublishResult> {
    const stream = priceStreamName(day.market, day.deliveryDate);
    let last: MarketPricesPublished['data'] | null = null;
    let revision: ExpectedRevision = 'no_stream';
    for await (const event of this.eventStore.readStream(stream)) {
      last = event.type === 'MarketPricesPublished' ? (event.data as MarketPricesPublished['data']) : last;
      revision = event.revision;
    }
    const data: MarketPricesPublished['data'] = {
      market: day.market,
      deliveryDate: day.deliveryDate,
      resolutionMinutes: day.resolutionMinutes,
      currency: 'EUR',
      unit: 'EUR/MWh',
      points: day.points,
      complete: day.complete,
      source: day.source,
      publishedAt: this.now().toISOString(),
    };
    if (last !== null && samePrices(last, data)) return { appended: false, position: null };
    const nextRevision = typeof revision === 'number' ? revision + 1 : 0;
    const result = await this.eventStore.appendToStream(
      stream,
      [{ id: eventId(stream, nextRevision, data), type: 'MarketPricesPublished', data }],
      { expectedRevision: revision },
    );
    return { appended: true, position: result.position };
  }
}

/** Same stream, revision and prices give the same id, so a retried append is stored once. */
function eventId(stream: string, revision: number, data: MarketPricesPublished['data']): string {
  return nameBasedUuid(`${stream}/${revision}/${JSON.stringify(data.points)}`);
}
