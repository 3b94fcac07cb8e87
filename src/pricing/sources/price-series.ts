/** Prices as a source answered them: interval starts (epoch ms) of one resolution, EUR/MWh. */
export interface PriceSeries {
  resolutionMinutes: number;
  points: Array<{ start: number; price: number }>;
}

/** A source answered, but with a refusal or a document that is not prices: not worth retrying. */
export class PriceSourceError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'PriceSourceError';
  }
}
