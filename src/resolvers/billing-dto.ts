import type { DailyUsageDoc } from '../domain/billing/daily-usage';
import type { InvoiceDoc } from '../domain/billing/invoice';
import { dailyUsageView, invoiceView } from '../views/billing';
import type { DailyUsageType, InvoiceStatus, InvoiceType } from './types/billing.types';
import { ChannelKind } from './types/channel.types';

/** The billing views (`views/billing.ts`, which the exports write too) as the GraphQL types. */
export function dailyUsageDto(doc: DailyUsageDoc): DailyUsageType {
  const view = dailyUsageView(doc);
  return { ...view, kind: ChannelKind[view.kind], channel: view.channel === '' ? null : view.channel };
}

export function invoiceDto(doc: InvoiceDoc): InvoiceType {
  const view = invoiceView(doc);
  return { ...view, status: view.status as InvoiceStatus };
}
